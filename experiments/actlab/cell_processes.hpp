#pragma once
// The study runner's processes: each cell runs as `actlab run STUDY.yaml --cell ID ...` in a child
// process of its own, so that a crash or a bad cell takes down one cell only, and so that each
// cell's threads are its own. A cell's stderr arrives through a pipe, so the study's own output
// stays readable and a failure can be explained by the cell's last error line.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace actlab::cli {

// A cell whose process ended.
struct EndedCell {
  std::size_t cell = 0;
  int wait_status = 0;      // as waitpid() gives it
  std::string explanation;  // the cell's last error line, else its last line
  double seconds = 0;       // since it started
};

class CellProcesses {
 public:
  // `executable`: the actlab program the cells run.
  explicit CellProcesses(std::string executable);
  ~CellProcesses();
  CellProcesses(const CellProcesses&) = delete;
  CellProcesses& operator=(const CellProcesses&) = delete;

  // Starts `cell` as `executable args...`. The child gets its own process group (a Ctrl-C in the
  // terminal reaches only the runner, which forwards one SIGTERM) and dies with the runner
  // (PR_SET_PDEATHSIG), so that a kill -9 of the runner leaves no cell running on.
  void start(std::size_t cell, const std::vector<std::string>& args);
  // Waits up to `timeout` for output (a signal ends the wait early), reads it, and returns the
  // cells whose process ended.
  std::vector<EndedCell> wait(std::chrono::milliseconds timeout);
  // SIGTERM to every running cell: each finishes its current step and exits as interrupted.
  void interrupt_all() const;

  std::size_t running() const { return running_.size(); }
  std::vector<std::size_t> running_cells() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Running {
    pid_t pid = -1;
    int stderr_fd = -1;
    std::size_t cell = 0;
    std::string partial_line;
    std::deque<std::string> tail;
    Clock::time_point started;
  };
  static bool drain(Running& r);
  static std::string explain(const Running& r);

  std::string executable_;
  std::vector<Running> running_;
};

// The running program's own executable (/proc/self/exe); OutputError if it cannot be found.
std::string self_executable();

}  // namespace actlab::cli
