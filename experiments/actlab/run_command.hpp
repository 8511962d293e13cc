#pragma once
// `actlab run CONFIG`: one training run from a YAML file (a study, a file with a sweep, goes to
// study_command; `--cell ID` runs one cell of it here, which is how the study runner starts cells).
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace actlab::cli {

struct RunOptions {
  std::filesystem::path config;
  std::vector<std::string> overrides;  // --set key.path=value
  std::optional<std::filesystem::path> out;
  std::optional<int> threads;
  // Continue from the folder's checkpoint (if any); a finished run is left as it is.
  bool resume = false;
  // Replace the results a single run's folder holds (without it, such a folder is refused).
  bool overwrite = false;
  // Print the resolved configuration and the memory estimate, and train nothing (a study: each
  // cell's estimate and whether --jobs of them fit at once).
  bool dry_run = false;
  std::optional<std::string> cell;  // run this cell of the study in `config`
  // Studies only (study_command.hpp):
  std::optional<int> jobs;           // cells at once
  std::optional<std::string> shard;  // "i/N": run only this share of the cells
  // The words that started this command (argv), repeated in the hint to resume after an interrupt.
  std::vector<std::string> command_line;
};

// Runs the configuration (a study goes to study_command) and returns the exit code of its outcome
// (completed, diverged, interrupted); errors are thrown, for run_reporting_errors (exit_codes.hpp).
int run_command(const RunOptions& options, const std::atomic<bool>& stop_requested);

}  // namespace actlab::cli
