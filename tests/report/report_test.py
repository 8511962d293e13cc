#!/usr/bin/python3
"""`actlab report` on the studies a user meets, read as a reader would.

    report_test.py pages    the pages' content: a study whose every cell diverged, one diverged
                            run, a study half run (pending and stopped cells), the readable tables
                            and the self-contained page
    report_test.py browser  the same pages and two shortened studies (spiral/xor decision regions,
                            and IDX data like Fashion-MNIST's) opened in headless Chromium through
                            the DevTools protocol (devtools.py): every figure loaded, no console
                            error, every table has rows, no table wider than the page; a full-page
                            screenshot of each

Environment: ACTLAB_BINARY (the actlab program), ACTLAB_SOURCE (the repository), ACTLAB_TEST_WORK
(a scratch folder; the screenshots stay there). Exit 77 (ctest: skipped) when Debian's python3 has
no matplotlib, or, for `browser`, when Debian's chromium is missing, unless
ACTLAB_REQUIRE_BROWSER=1 (CI), which makes a missing browser a failure.
"""
import base64
import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

SKIPPED = 77
ACTLAB = os.environ.get("ACTLAB_BINARY", "")
SOURCE = os.environ.get("ACTLAB_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
WORK = os.environ.get("ACTLAB_TEST_WORK", "/tmp/actlab_report_test")
TINY = os.path.join(SOURCE, "data/fixtures/tiny")


def actlab(*args, expect=0):
    done = subprocess.run([ACTLAB, *args], capture_output=True, text=True, cwd=WORK)
    if done.returncode != expect:
        raise AssertionError(f"actlab {' '.join(args)}: exit {done.returncode}, expected {expect}\n"
                             f"{done.stderr}")
    return done


def idx_study(folder, sweep, learning_rate=0.05, epochs=2, name="tiny"):
    """A study on the IDX fixture (the Fashion-MNIST format, 28 × 28 images, 10 classes)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(f"name: {name}\nseed: 1\nthreads: 1\ntarget_accuracy: 0.5\n"
                f"data: {{dataset: idx, path: {TINY}, validation_size: 100}}\n"
                f"model: {{hidden: [16, 16]}}\n"
                f"optimizer: {{learning_rate: {learning_rate}, momentum: 0.9}}\n"
                f"train: {{epochs: {epochs}, batch_size: 32}}\nprobes: {{every_steps: 5}}\n"
                f"sweep:\n{sweep}")
    return path


def diverged_study(folder):
    """Every cell diverges in its first step (learning rate 1e30; ReLU and leaky ReLU do not
    saturate, so the first update overflows)."""
    config = idx_study(folder, "  model.activation: [relu, leaky_relu]\n  seed: [1, 2]\n",
                       learning_rate="1.0e+30", name="diverging")
    actlab("run", config, "--out", os.path.join(folder, "study"))
    return os.path.join(folder, "study")


def half_run_study(folder):
    """A study caught while it runs: shard 1 of 2 done (the other cells never started) and one
    finished cell as a killed one leaves it (no summary.json)."""
    config = idx_study(folder, "  model.activation: [relu, tanh]\n  seed: [1, 2]\n",
                       name="running")
    study = os.path.join(folder, "study")
    actlab("run", config, "--out", study, "--shard", "1/2")
    finished = sorted(glob.glob(os.path.join(study, "*", "summary.json")))
    os.remove(finished[0])
    return study, os.path.basename(os.path.dirname(finished[0]))


def xor_spiral_study(folder):
    """configs/linear_vs_nonlinear.yaml shortened: identity and ReLU, two seeds, 3 epochs."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(SOURCE, "configs/linear_vs_nonlinear.yaml")) as f:
        text = f.read()
    for old, new in (("[identity, relu, tanh, gelu, sigmoid]", "[identity, relu]"),
                     ("seed: [1, 2, 3]", "seed: [1, 2]")):
        assert old in text, old
        text = text.replace(old, new)
    config = os.path.join(folder, "linear_vs_nonlinear.yaml")
    with open(config, "w") as f:
        f.write(text)
    study = os.path.join(folder, "study")
    actlab("run", config, "--out", study, "--set", "train.epochs=3", "--threads", "1")
    return study


def report(folder, *extra, expect=0):
    actlab("report", folder, *extra, expect=expect)
    with open(os.path.join(folder, "report", "report.html")) as f:
        return f.read()


def text_of(page):
    """The page as a reader reads it: no tags, no script, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def headers(page):
    return [html.unescape(h) for h in re.findall(r"<th\b[^>]*>(.*?)</th>", page)]


class Pages(unittest.TestCase):
    def test_a_study_whose_every_cell_diverged_says_where(self):
        study = diverged_study(os.path.join(WORK, "pages_diverged"))
        text = text_of(report(study))
        self.assertIn("4 diverged", text)
        for cell in ("activation=relu,seed=1", "activation=leaky_relu,seed=2"):
            self.assertIn(cell, text)
        # The step and the layer the trainer found the non-finite gradient in.
        self.assertEqual(text.count("diverged at step 1 (epoch 1), in layer 0 of the network"), 4)
        self.assertIn("No cell has a complete epoch", text)

    def test_one_diverged_run_is_a_run_folder(self):
        study = diverged_study(os.path.join(WORK, "pages_diverged_run"))
        text = text_of(report(os.path.join(study, "activation=relu,seed=1")))
        self.assertIn("1 diverged", text)
        self.assertIn("diverged at step 1 (epoch 1), in layer 0 of the network (the gradient of "
                      "0.linear.weight is not finite)", text)

    def test_a_half_run_study_names_its_pending_and_stopped_cells(self):
        study, stopped = half_run_study(os.path.join(WORK, "pages_running"))
        text = text_of(report(study))
        self.assertIn("Not finished: of 4 cells, 2 pending (not started) and 1 running or "
                      "stopped before finishing", text)
        with open(os.path.join(study, "study.json")) as f:
            cells = [c["id"] for c in json.load(f)["cells"]]
        pending = [c for c in cells if not os.path.exists(os.path.join(study, c))]
        self.assertEqual(len(pending), 2)
        for cell in pending:
            self.assertRegex(text, re.escape(cell) + r" pending not started yet")
        self.assertRegex(text, re.escape(stopped) + r" incomplete running, or stopped")
        # The tables were written when the shard ended, before the cell lost its summary: they
        # stay, and a reader is told that they lag and that `actlab summary` has the current one.
        self.assertIn("Every run", text)
        self.assertIn("1 cell changed since. actlab summary prints the current table.", text)

    def test_tables_are_the_terminal_ones_with_the_csv_beside(self):
        folder = os.path.join(WORK, "pages_tables")
        config = idx_study(folder, "  model.activation: [relu, tanh]\n  seed: [1, 2]\n")
        study = os.path.join(folder, "study")
        actlab("run", config, "--out", study)
        page = report(study)
        columns = headers(page)
        # Groups: the terminal's columns (actlab summary), mean ± std; no raw _mean/_std/_n.
        for column in ("activation", "n", "diverged", "final test acc", "epoch to 0.5",
                       "final train loss", "vanishing ratio", "max dead", "samples/s"):
            self.assertIn(column, columns)
        self.assertFalse([c for c in columns if re.search(r"_(mean|std|n)$", c)], columns)
        self.assertRegex(text_of(page), r"relu 2 0 0\.\d{4} ± 0\.\d{4}")
        # Every run: no run_id (its key columns say it), one row per cell.
        self.assertNotIn("run_id", columns)
        self.assertIn("<td>tanh</td><td>2</td><td>completed</td>", page)
        for name in ("summary_groups.csv", "summary.csv"):
            self.assertIn(f'href="../{name}" download="{name}"', page)
        # The summary's own numbers: summary_groups.csv's mean, as the terminal formats it.
        summary = actlab("summary", study).stdout
        relu_line = next(line for line in summary.splitlines() if line.startswith("relu "))
        accuracy = re.search(r"\d\.\d{4} ± \d\.\d{4}", relu_line).group(0)
        self.assertIn(accuracy, text_of(page))

    def test_a_self_contained_page_needs_no_other_file(self):
        folder = os.path.join(WORK, "pages_self_contained")
        config = idx_study(folder, "  model.activation: [relu]\n  seed: [1, 2]\n")
        study = os.path.join(folder, "study")
        actlab("run", config, "--out", study)
        page = report(study, "--self-contained")
        sources = re.findall(r'<img src="([^"]*)"', page)
        self.assertGreaterEqual(len(sources), 3)  # curves, gradient depth, dead/saturated
        for source in sources:
            self.assertTrue(source.startswith("data:image/png;base64,"), source[:40])
            self.assertEqual(base64.b64decode(source.split(",", 1)[1])[:8], b"\x89PNG\r\n\x1a\n")
        links = re.findall(r'href="([^"]*)"', page)
        self.assertEqual(len(links), 2)
        for link in links:
            self.assertTrue(link.startswith("data:text/csv;base64,"), link[:40])
        with open(os.path.join(study, "summary.csv"), "rb") as f:
            self.assertIn(base64.b64encode(f.read()).decode(), page)


# --- the browser -----------------------------------------------------------------------------

# Debian's; ACTLAB_CHROMIUM names another.
CHROMIUM = os.environ.get("ACTLAB_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 900  # a laptop's window


def missing_browser():
    """Why the browser check cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found (Debian: apt-get install chromium)"
    return None


# What the page shows once loaded: each image's natural size, each table's body rows, and how much
# wider than its box each table is (more than 0: it needs a scroll bar).
INSPECT = """(() => ({
  images: [...document.images].map(i => ({alt: i.alt, complete: i.complete,
                                           width: i.naturalWidth, height: i.naturalHeight})),
  tables: [...document.querySelectorAll("table")].map(t => ({
    heading: (t.closest("div").previousElementSibling || {}).textContent || "",
    rows: t.tBodies[0] ? t.tBodies[0].rows.length : 0,
    overflow: t.closest("div").scrollWidth - t.closest("div").clientWidth})),
  pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
}))()"""


class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from devtools import Chromium
        cls.shots = os.path.join(WORK, "screenshots")
        os.makedirs(cls.shots, exist_ok=True)
        cls.chromium = Chromium(CHROMIUM, os.path.join(WORK, "chromium.log")).__enter__()
        cls.page = cls.chromium.open_page(WIDTH, HEIGHT)

    @classmethod
    def tearDownClass(cls):
        cls.chromium.__exit__(None, None, None)

    def open(self, page, name):
        """Loads the page and saves its screenshot: (what INSPECT sees, console errors)."""
        self.page.load("file://" + os.path.abspath(page))
        seen = self.page.evaluate(INSPECT)
        path = self.page.screenshot(os.path.join(self.shots, name + ".png"))
        print(f"screenshot: {path}", flush=True)
        return seen, self.page.console_errors()

    def check_page(self, page, name, figures, tables):
        """Opens the page; `figures` images and `tables` tables must be there, whole."""
        seen, errors = self.open(page, name)
        self.assertEqual(errors, [], f"{name}: console errors")
        self.assertEqual(len(seen["images"]), figures, f"{name}: {seen['images']}")
        for image in seen["images"]:
            self.assertTrue(image["complete"] and image["width"] > 0 and image["height"] > 0,
                            f"{name}: figure '{image['alt']}' did not load")
        self.assertEqual(len(seen["tables"]), tables, f"{name}: {seen['tables']}")
        for table in seen["tables"]:
            self.assertGreater(table["rows"], 0, f"{name}: table '{table['heading']}' is empty")
            self.assertLessEqual(table["overflow"], 1,
                                 f"{name}: table '{table['heading']}' is wider than the page")
        self.assertLessEqual(seen["pageOverflow"], 1, f"{name}: the page scrolls sideways")

    def test_the_checks_see_a_broken_page(self):
        """A missing figure, a console error and a script error are seen, so that the checks of
        the reports below cannot pass for want of looking."""
        folder = os.path.join(WORK, "broken")
        os.makedirs(folder, exist_ok=True)
        page = os.path.join(folder, "broken.html")
        with open(page, "w") as f:
            f.write('<!DOCTYPE html><html><body><img src="missing.png" alt="missing">'
                    '<script>console.error("on purpose"); no_such_function();</script>'
                    '</body></html>')
        seen, errors = self.open(page, "broken")
        self.assertEqual(seen["images"][0]["width"], 0)
        self.assertTrue(any("on purpose" in e for e in errors), errors)
        self.assertTrue(any("no_such_function" in e for e in errors), errors)
        self.assertTrue(any("missing.png" in e for e in errors), errors)

    def check_study(self, study, name, figures, tables):
        """The normal page, then the self-contained one moved alone to an empty folder."""
        actlab("report", study)
        self.check_page(os.path.join(study, "report", "report.html"), name, figures, tables)
        alone = os.path.join(WORK, "alone", name)
        shutil.rmtree(alone, ignore_errors=True)
        os.makedirs(alone)
        actlab("report", study, "--self-contained", "--out", os.path.join(alone, "written"))
        shutil.move(os.path.join(alone, "written", "report.html"), alone)
        shutil.rmtree(os.path.join(alone, "written"))
        self.check_page(os.path.join(alone, "report.html"), name + "_self_contained", figures,
                        tables)

    def test_xor_and_spiral_with_decision_regions(self):
        study = xor_spiral_study(os.path.join(WORK, "browser_xor_spiral"))
        # curves, gradient depth, dead/saturated, decision regions; the group and run tables
        self.check_study(study, "linear_vs_nonlinear", figures=4, tables=2)

    def test_idx_data_like_fashion_mnist(self):
        folder = os.path.join(WORK, "browser_idx")
        config = idx_study(folder, "  model.activation: [relu, tanh, gelu]\n  seed: [1, 2]\n")
        study = os.path.join(folder, "study")
        actlab("run", config, "--out", study)
        self.check_study(study, "idx", figures=3, tables=2)
        # A click on a header sorts the rows by that column's numbers, a second click reverses.
        header = ("[...document.querySelectorAll('table')[0].tHead.rows[0].cells]"
                  ".find(th => th.textContent === 'final test acc')")
        values = ("[...document.querySelectorAll('table')[0].tBodies[0].rows].map(r => "
                  f"parseFloat(r.cells[{header}.cellIndex].dataset.v))")
        before = self.page.evaluate(values)
        self.assertEqual(len(before), 3)
        for expected in (sorted(before), sorted(before, reverse=True)):
            self.page.evaluate(f"{header}.click()")
            self.assertEqual(self.page.evaluate(values), expected)

    def test_a_diverged_study_and_a_half_run_one(self):
        study = diverged_study(os.path.join(WORK, "browser_diverged"))
        # no figure; the cells that did not complete, the group and run tables
        self.check_study(study, "diverged", figures=0, tables=3)
        study, _ = half_run_study(os.path.join(WORK, "browser_running"))
        self.check_study(study, "running", figures=3, tables=3)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "pages"
    if subprocess.run(["/usr/bin/python3", "-c", "import matplotlib"],
                      capture_output=True).returncode != 0:
        print("SKIPPED: no matplotlib for /usr/bin/python3 (bash data/setup.sh installs it)")
        return SKIPPED
    if mode == "browser":
        why = missing_browser()
        if why:
            if os.environ.get("ACTLAB_REQUIRE_BROWSER") == "1":
                print(f"FAILED: ACTLAB_REQUIRE_BROWSER=1 but {why}")
                return 1
            print(f"SKIPPED: {why}")
            return SKIPPED
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Browser if mode == "browser"
                                                            else Pages)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
