#include "cell_processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <utility>

#include "actlab/core/error.hpp"

namespace actlab::cli {
namespace {

constexpr std::size_t kTailLines = 20;  // of a cell's stderr, kept to explain a failure

}  // namespace

CellProcesses::CellProcesses(std::string executable) : executable_(std::move(executable)) {}

CellProcesses::~CellProcesses() {
  for (const Running& r : running_)
    ::close(r.stderr_fd);
}

void CellProcesses::start(std::size_t cell, const std::vector<std::string>& args) {
  std::vector<std::string> storage = {executable_};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw OutputError("cannot create a pipe for a cell");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw OutputError("cannot start a process for a cell (fork failed)");
  }
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the runner died before prctl
    ::dup2(fds[1], STDERR_FILENO);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);
    ::execv(executable_.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  Running r;
  r.pid = pid;
  r.stderr_fd = fds[0];
  r.cell = cell;
  r.started = Clock::now();
  running_.push_back(std::move(r));
}

std::vector<EndedCell> CellProcesses::wait(std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  for (const Running& r : running_)
    fds.push_back({r.stderr_fd, POLLIN, 0});
  ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));  // EINTR: look again
  for (Running& r : running_)
    drain(r);

  std::vector<EndedCell> ended;
  for (auto it = running_.begin(); it != running_.end();) {
    int status = 0;
    if (::waitpid(it->pid, &status, WNOHANG) != it->pid) {
      ++it;
      continue;
    }
    while (drain(*it)) {
    }
    ::close(it->stderr_fd);
    ended.push_back({it->cell, status, explain(*it),
                     std::chrono::duration<double>(Clock::now() - it->started).count()});
    it = running_.erase(it);
  }
  return ended;
}

void CellProcesses::interrupt_all() const {
  for (const Running& r : running_)
    ::kill(r.pid, SIGTERM);
}

std::vector<std::size_t> CellProcesses::running_cells() const {
  std::vector<std::size_t> cells;
  for (const Running& r : running_)
    cells.push_back(r.cell);
  return cells;
}

// Reads what the cell wrote to stderr; false at end of file.
bool CellProcesses::drain(Running& r) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(r.stderr_fd, buffer, sizeof(buffer));
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    r.partial_line.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = r.partial_line.find('\n')) != std::string::npos) {
      r.tail.push_back(r.partial_line.substr(0, newline));
      r.partial_line.erase(0, newline + 1);
      if (r.tail.size() > kTailLines) r.tail.pop_front();
    }
  }
}

// The line that best explains a failed cell: its last error line, else its last line, without
// the cell's log prefix ("[12:00:00 error] "): the runner logs it under a prefix of its own.
std::string CellProcesses::explain(const Running& r) {
  auto without_prefix = [](const std::string& line) {
    constexpr std::size_t kLongestPrefix = 24;  // "[HH:MM:SS critical] "
    const std::size_t end = line.find("] ");
    return line.starts_with('[') && end < kLongestPrefix ? line.substr(end + 2) : line;
  };
  for (auto it = r.tail.rbegin(); it != r.tail.rend(); ++it)
    if (it->find("error") != std::string::npos) return without_prefix(*it);
  return r.tail.empty() ? std::string("(no output)") : without_prefix(r.tail.back());
}

std::string self_executable() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) throw OutputError("cannot find the actlab executable (/proc/self/exe)");
  return exe.string();
}

}  // namespace actlab::cli
