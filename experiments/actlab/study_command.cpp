#include "study_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "actlab/core/atomic_file.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/experiment/study_summary.hpp"
#include "actlab/experiment/sweep.hpp"
#include "actlab/train/progress.hpp"

namespace actlab::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kTailLines = 20;  // of a cell's stderr, kept to explain a failure

// A cell's process: its stderr arrives through a pipe, so the study's own output stays readable and
// a failure can be explained by the cell's last error line.
struct Running {
  pid_t pid = -1;
  int stderr_fd = -1;
  std::size_t cell = 0;
  std::string partial_line;
  std::deque<std::string> tail;
  Clock::time_point started;
};

// Epoch counts for the ETA: work is measured in epochs, read from each cell's metrics.jsonl.
struct CellProgress {
  std::size_t epochs = 0;    // the cell's configured epochs
  std::size_t at_start = 0;  // in metrics.jsonl when the study started
  std::size_t now = 0;
  bool finished = false;
};

std::size_t count_lines(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return static_cast<std::size_t>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

std::string self_executable() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) throw OutputError("cannot find the actlab executable (/proc/self/exe)");
  return exe.string();
}

// fork + exec of `argv`, stderr into a pipe. The child gets its own process group (a Ctrl-C in the
// terminal reaches only the runner, which forwards one SIGTERM) and dies with the runner
// (PR_SET_PDEATHSIG), so that a kill -9 of the runner leaves no cell running on.
Running spawn_cell(const std::string& exe, const std::vector<std::string>& args) {
  std::vector<std::string> storage = {exe};
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
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  Running r;
  r.pid = pid;
  r.stderr_fd = fds[0];
  r.started = Clock::now();
  return r;
}

// Reads what the cell wrote to stderr; false at end of file.
bool drain(Running& r) {
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

// The line that best explains a failed cell: its last error line, else its last line.
std::string explain(const Running& r) {
  for (auto it = r.tail.rbegin(); it != r.tail.rend(); ++it)
    if (it->find("error") != std::string::npos) return *it;
  return r.tail.empty() ? std::string("(no output)") : r.tail.back();
}

// The study's display: one progress line, redrawn in place on a terminal, with a line per
// finished cell printed above it. Off a terminal only the per-cell lines appear.
class StudyDisplay {
 public:
  StudyDisplay() : terminal_(::isatty(STDERR_FILENO) != 0) {}

  void line(const std::string& text) {
    clear();
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
    drawn_ = false;
  }
  void progress(const std::string& text) {
    if (!terminal_) return;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  // Ends the progress line, so that whatever is printed next starts on a clean line.
  void clear() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  bool terminal_;
  bool drawn_ = false;
};

std::string duration(double seconds) {
  char text[32];
  format_duration(seconds, text, sizeof(text));
  return text;
}

std::string bar(double fraction) {
  constexpr int kWidth = 20;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
  std::string out = "[";
  for (int i = 0; i < kWidth; ++i)
    out += i < filled ? '#' : (i == filled ? '>' : ' ');
  return out + "]";
}

// A finished cell of a different configuration must not be skipped as if it were this one.
void check_finished_cell(const fs::path& cell_dir, const StudyCell& cell, const CellResult& result,
                         const std::string& config_file) {
  if (result.config_digest.empty() || result.config_digest == config_digest(cell.config)) return;
  std::string difference;
  try {
    difference = config_difference(training_fingerprint(load_config(cell_dir / "config.yaml")),
                                   training_fingerprint(cell.config));
  } catch (const Error&) {
  }
  throw ConfigError(cell_dir.string() + " holds results of a different configuration than " +
                    config_file + " gives now" +
                    (difference.empty() ? "" : " (" + difference + ")") +
                    "; use a new study name or remove that folder");
}

}  // namespace

Parallelism choose_parallelism(std::optional<int> jobs, std::optional<int> threads,
                               int config_threads, int cores, std::size_t cells) {
  Parallelism p;
  const int cell_count = static_cast<int>(std::min<std::size_t>(cells, 1 << 16));
  if (threads)
    p.threads = *threads;
  else if (config_threads > 0)
    p.threads = config_threads;
  else if (jobs)
    p.threads = std::max(1, cores / *jobs);
  else
    p.threads = 1;
  p.jobs = jobs ? *jobs : std::max(1, cores / p.threads);
  p.jobs = std::max(1, std::min(p.jobs, cell_count));
  // Fewer cells than cores: let each use the cores left over.
  if (!threads && config_threads <= 0) p.threads = std::max(p.threads, cores / p.jobs);
  return p;
}

int study_command(const RunOptions& options, const std::atomic<bool>& stop_requested) {
  try {
    if (options.cell) throw ConfigError("--cell runs one cell: it is handled by run_command");
    const Study study = load_study(options.config, options.overrides);
    const fs::path dir = options.out ? *options.out : study.output_dir;
    const Shard shard = options.shard ? parse_shard(*options.shard) : Shard{};
    const std::vector<std::size_t> mine = shard_cells(study.cells.size(), shard);
    const StudyManifest manifest =
        StudyManifest::of(study, options.config.string(), options.overrides);
    const std::string config_file = options.config.string();

    // What is there already.
    std::vector<std::size_t> todo;
    std::size_t finished_before = 0, with_results = 0;
    std::map<std::size_t, CellProgress> progress;
    for (std::size_t c : mine) {
      const StudyCell& cell = study.cells[c];
      const CellResult result = read_cell_result(dir / cell.id, std::nullopt);
      with_results += result.status != "pending";
      if (result.finished()) {
        check_finished_cell(dir / cell.id, cell, result, config_file);
        ++finished_before;
        continue;
      }
      todo.push_back(c);
      const std::size_t lines = count_lines(dir / cell.id / "metrics.jsonl");
      progress[c] = {cell.config.train.epochs, lines, lines, false};
    }
    if (!options.resume && with_results > 0)
      throw ConfigError(dir.string() + " already holds results of this study (" +
                        std::to_string(with_results) + " of " + std::to_string(mine.size()) +
                        " cells); add --resume to continue it (finished cells are kept), or "
                        "remove the folder to start over");
    create_output_directory(dir);
    write_manifest(dir, manifest);

    const Parallelism parallel =
        choose_parallelism(options.jobs, options.threads, study.cells.front().config.threads,
                           available_cores(), todo.size());
    std::string shard_text;
    if (options.shard)
      shard_text = " (shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) +
                   ": " + std::to_string(mine.size()) + " of " +
                   std::to_string(study.cells.size()) + " cells)";
    spdlog::info(
        "study {}: {} cells{}; {} finished already, {} to run; {} at a time, {} BLAS "
        "thread{} each; results in {}",
        study.name, study.cells.size(), shard_text, finished_before, todo.size(), parallel.jobs,
        parallel.threads, parallel.threads == 1 ? "" : "s", dir.string());

    const std::string exe = self_executable();
    StudyDisplay display;
    std::deque<std::size_t> queue(todo.begin(), todo.end());
    std::vector<Running> running;
    std::map<std::size_t, std::string> failures;  // cell -> why
    std::size_t completed = 0, diverged = 0, interrupted = 0, failed = 0, succeeded = 0;
    int failure_code = 0;
    bool stopping = false, halted = false;
    const auto start = Clock::now();
    auto last_poll = Clock::time_point{};

    auto cell_args = [&](std::size_t c) {
      std::vector<std::string> args = {"run",       config_file,
                                       "--cell",    study.cells[c].id,
                                       "--out",     (dir / study.cells[c].id).string(),
                                       "--threads", std::to_string(parallel.threads),
                                       "--resume"};
      for (const auto& o : options.overrides) {
        args.push_back("--set");
        args.push_back(o);
      }
      return args;
    };

    auto finish_cell = [&](Running& r, int status) {
      while (drain(r)) {
      }
      ::close(r.stderr_fd);
      const StudyCell& cell = study.cells[r.cell];
      const CellResult result = read_cell_result(dir / cell.id, std::nullopt);
      progress[r.cell].now = result.epochs_completed;
      progress[r.cell].finished = true;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      std::string outcome, detail;
      if (code == kExitOk && result.status == "completed") {
        ++completed;
        ++succeeded;
        outcome = "completed";
        char text[64];
        std::snprintf(text, sizeof(text), "test acc %.4f", result.final_test_accuracy);
        detail = text;
      } else if (code == kExitRunFailed && result.status == "diverged") {
        ++diverged;
        ++succeeded;
        outcome = "diverged";
        detail = result.message;
      } else if (code == kExitInterrupted) {
        ++interrupted;
        outcome = "interrupted";
        detail = "after epoch " + std::to_string(result.epochs_completed);
      } else {
        ++failed;
        outcome = "failed";
        detail = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                     : explain(r);
        failures[r.cell] = detail;
        if (failure_code == 0)
          failure_code = code == kExitBadInput || code == kExitOutputError ? code : kExitRunFailed;
        // Failing before any cell succeeded suggests a systematic problem (the data set missing,
        // the disk full): start no more cells rather than fail them all one by one.
        if (succeeded == 0) halted = true;
      }
      const std::size_t done = finished_before + completed + diverged;
      display.line("[" + std::to_string(done) + "/" + std::to_string(mine.size()) + "] " + outcome +
                   "  " + cell.id + "  " + detail + "  (" +
                   duration(std::chrono::duration<double>(Clock::now() - r.started).count()) + ")");
    };

    while (!queue.empty() || !running.empty()) {
      if (stop_requested.load() && !stopping) {
        stopping = true;
        display.line("stopping: asking " + std::to_string(running.size()) +
                     " running cell(s) to finish their current step ...");
        for (const Running& r : running)
          ::kill(r.pid, SIGTERM);
      }
      while (!stopping && !halted && running.size() < static_cast<std::size_t>(parallel.jobs) &&
             !queue.empty()) {
        Running r = spawn_cell(exe, cell_args(queue.front()));
        r.cell = queue.front();
        queue.pop_front();
        running.push_back(std::move(r));
      }
      if (running.empty()) break;  // stopped or halted: the queue stays pending

      std::vector<pollfd> fds;
      for (const Running& r : running)
        fds.push_back({r.stderr_fd, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 200);  // EINTR (a signal) just means: look again
      for (Running& r : running)
        drain(r);

      for (auto it = running.begin(); it != running.end();) {
        int status = 0;
        if (::waitpid(it->pid, &status, WNOHANG) == it->pid) {
          finish_cell(*it, status);
          it = running.erase(it);
        } else {
          ++it;
        }
      }

      const auto now = Clock::now();
      if (now - last_poll > std::chrono::milliseconds(500)) {
        last_poll = now;
        for (const Running& r : running)
          progress[r.cell].now = count_lines(dir / study.cells[r.cell].id / "metrics.jsonl");
      }
      std::size_t work_done = 0, work_left = 0;
      for (const auto& [c, p] : progress) {
        work_done += p.now > p.at_start ? p.now - p.at_start : 0;
        if (!p.finished) work_left += p.epochs > p.now ? p.epochs - p.now : 0;
      }
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const double fraction =
          work_done + work_left > 0
              ? static_cast<double>(work_done) / static_cast<double>(work_done + work_left)
              : 1.0;
      const double eta =
          work_done > 0 ? elapsed * static_cast<double>(work_left) / static_cast<double>(work_done)
                        : -1;
      char text[256];
      std::snprintf(text, sizeof(text),
                    "study %s %s %3.0f%% · %zu/%zu done · %zu running · %zu diverged · %zu failed "
                    "· ETA %s",
                    study.name.c_str(), bar(fraction).c_str(), 100 * fraction,
                    finished_before + completed + diverged, mine.size(), running.size(), diverged,
                    failed, duration(eta).c_str());
      display.progress(text);
    }
    display.clear();

    // The tables cover the whole study (other shards' cells too, as far as they are on disk).
    std::vector<CellResult> results = read_study_results(dir, manifest, study.target_accuracy);
    for (auto& r : results)
      for (const auto& [c, why] : failures)
        if (study.cells[c].id == r.id) {
          r.status = "failed";
          r.message = why;
        }
    write_study_tables(dir, manifest, results);

    const std::string took = duration(std::chrono::duration<double>(Clock::now() - start).count());
    const std::size_t not_started = queue.size();
    if (stopping) {
      spdlog::warn(
          "study {} interrupted after {}: {} cell(s) marked interrupted, {} not started; "
          "continue with: actlab run {} --resume",
          study.name, took, interrupted, not_started, config_file);
      return kExitInterrupted;
    }
    spdlog::info(
        "study {}: {} completed, {} diverged, {} failed{} in {}; {} already finished; "
        "results in {}",
        study.name, completed, diverged, failed,
        halted && not_started > 0
            ? " (" + std::to_string(not_started) + " not started after the failure)"
            : std::string(),
        took, finished_before, dir.string());
    std::fputs(
        groups_table(manifest, summarize_groups(manifest, results), study.target_accuracy).c_str(),
        stdout);
    std::fflush(stdout);
    for (const auto& [c, why] : failures)
      spdlog::error("cell {} failed: {}", study.cells[c].id, why);
    return failed > 0 ? failure_code : kExitOk;
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const OutputError& e) {
    spdlog::error("{}", e.what());
    return kExitOutputError;
  }
}

}  // namespace actlab::cli
