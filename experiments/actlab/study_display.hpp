#pragma once
// What the study runner shows while it runs: one progress line for the whole study (redrawn in
// place on a terminal) with the ETA, and a line per finished cell above it. Only display: the
// processes are run by cell_processes.hpp, the study by study_command.cpp.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>

namespace actlab::cli {

// One progress line, redrawn in place on a terminal, with the lines printed above it. Off a
// terminal only the lines appear.
class StudyDisplay {
 public:
  StudyDisplay();
  void line(const std::string& text);
  void progress(const std::string& text);
  // Ends the progress line, so that whatever is printed next starts on a clean line.
  void clear();

 private:
  bool terminal_;
  bool drawn_ = false;
};

// The study's work in epochs, for the progress bar and the ETA, read from each cell's
// metrics.jsonl (one line per finished epoch).
class StudyProgress {
 public:
  // A cell to run: `epochs` configured, as many as its metrics.jsonl holds done already.
  void add(std::size_t cell, std::size_t epochs, const std::filesystem::path& metrics);
  // Re-reads the cell's metrics.jsonl.
  void update(std::size_t cell, const std::filesystem::path& metrics);
  void finish(std::size_t cell, std::size_t epochs_completed);

  // Epochs done since the study started, over those done and still to do.
  double fraction() const;
  // Seconds still to go, from `elapsed` seconds so far; negative while nothing is done.
  double eta(double elapsed) const;

 private:
  struct Cell {
    std::size_t epochs = 0;    // the cell's configured epochs
    std::size_t at_start = 0;  // in metrics.jsonl when the study started
    std::size_t now = 0;
    bool finished = false;
  };
  std::size_t done() const;
  std::size_t left() const;
  std::map<std::size_t, Cell> cells_;
};

// What the counts in the progress line say.
struct StudyCounts {
  std::size_t done = 0, total = 0, running = 0, diverged = 0, failed = 0;
};

// "study NAME [#####>    ]  40% · 4/10 done · 2 running · 0 diverged · 0 failed · ETA 1:05"
std::string progress_line(const std::string& study, const StudyProgress& progress,
                          const StudyCounts& counts, double elapsed);
// "[4/10] completed  CELL  test acc 0.8412  (0:42) · ETA 1:05": off a terminal (a Slurm job's
// output, a log file) these lines are all there is, so each carries the study's ETA.
std::string cell_line(const StudyCounts& counts, const std::string& outcome,
                      const std::string& cell, const std::string& detail, double seconds,
                      double eta_seconds);
// "1:02:03" or "4:05".
std::string duration(double seconds);

}  // namespace actlab::cli
