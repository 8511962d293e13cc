"""Headless Chromium driven through the DevTools protocol over a pipe (--remote-debugging-pipe).

No chromedriver, no Selenium, no network: the browser reads commands on its fd 3 and writes answers
and events on its fd 4, each a JSON message ended by a NUL byte (as Puppeteer's pipe transport).
Nothing to resolve or connect to, so it works on a minimal system without /etc/hosts.

    with Chromium("/usr/bin/chromium", log_file) as browser:
        page = browser.open_page(1280, 900)
        page.load("file:///…/report.html")
        page.evaluate("document.title"); page.console_errors(); page.screenshot(path)
"""
import base64
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time

TIMEOUT_S = 60


class DevToolsError(Exception):
    pass


class Chromium:
    def __init__(self, program, log_file):
        self.program, self.log_file = program, log_file
        self.next_id = 0
        self.buffer = b""
        self.events = []  # (sessionId, method, params), in arrival order

    def __enter__(self):
        to_browser, self.to_browser = os.pipe()  # the browser reads commands on its fd 3
        self.from_browser, from_browser = os.pipe()  # and writes on its fd 4
        self.profile = tempfile.TemporaryDirectory(prefix="actlab-chromium-")

        def pipes_as_fd_3_and_4():
            # Above 4 first: one end may already sit at 3 or 4 and be overwritten by the other.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [self.program, "--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-pipe",
                 f"--user-data-dir={self.profile.name}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False,
                preexec_fn=pipes_as_fd_3_and_4)
        os.close(to_browser)
        os.close(from_browser)
        return self

    def __exit__(self, *_):
        try:
            self.call("Browser.close")
        except (DevToolsError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)
        self.profile.cleanup()

    def receive(self, deadline):
        """The next message, or DevToolsError when the browser ended or the deadline passed."""
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise DevToolsError(f"no answer from {self.program} within {TIMEOUT_S} s "
                                    f"(its log: {self.log_file})")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise DevToolsError(f"{self.program} ended (its log: {self.log_file})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        os.write(self.to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self.receive(deadline)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append((message.get("sessionId"), message["method"],
                                    message.get("params", {})))

    def wait_for(self, session, method):
        """The first event `method` of the session not yet taken, waiting for it if needed."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for i, (s, m, params) in enumerate(self.events):
                if s == session and m == method:
                    del self.events[i]
                    return params
            message = self.receive(deadline)
            if "method" in message:
                self.events.append((message.get("sessionId"), message["method"],
                                    message.get("params", {})))

    def open_page(self, width, height):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        return Page(self, session["sessionId"], width, height)


class Page:
    def __init__(self, browser, session, width, height):
        self.browser, self.session = browser, session
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method, params=None):
        return self.browser.call(method, params, self.session)

    def load(self, url):
        """Opens url and waits for its load event (every image loaded or failed)."""
        self.browser.events.clear()
        self.call("Page.navigate", {"url": url})
        self.browser.wait_for(self.session, "Page.loadEventFired")

    def evaluate(self, expression):
        answer = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in answer:
            raise DevToolsError(f"{expression[:60]}…: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def console_errors(self):
        """What the browser's console showed as errors since the page was opened: console.error,
        uncaught exceptions, and the browser's own errors (a resource that failed to load)."""
        errors = []
        for session, method, params in self.browser.events:
            if session != self.session:
                continue
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append("console.error: " + " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append("exception: " + details.get("exception", {}).get(
                    "description", details.get("text", "")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                errors.append(f"{entry['source']}: {entry['text']} {entry.get('url', '')}")
        return errors

    def screenshot(self, path):
        """The whole page, not only the window."""
        width, height = self.evaluate("[document.documentElement.scrollWidth, "
                                      "document.documentElement.scrollHeight]")
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path
