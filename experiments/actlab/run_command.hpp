#pragma once
// `actlab run CONFIG`: one training run from a YAML file (a study, a file with a sweep, goes to
// study_command; `--cell ID` runs one cell of it here, which is how the study runner starts cells).
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace actlab::cli {

// Exit codes, documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitRunFailed = 1,     // a run diverged
  kExitBadInput = 2,      // configuration or data is wrong
  kExitOutputError = 3,   // results cannot be written (or the run folder is locked)
  kExitInterrupted = 130  // SIGINT / SIGTERM
};

struct RunOptions {
  std::filesystem::path config;
  std::vector<std::string> overrides;  // --set key.path=value
  std::optional<std::filesystem::path> out;
  std::optional<int> threads;
  // Continue from the folder's checkpoint (if any); a finished run is left as it is.
  bool resume = false;
  std::optional<std::string> cell;  // run this cell of the study in `config`
  // Studies only (study_command.hpp):
  std::optional<int> jobs;           // cells at once
  std::optional<std::string> shard;  // "i/N": run only this share of the cells
};

// Runs and returns the exit code; bad input is reported (one line) and mapped to its code.
int run_command(const RunOptions& options, const std::atomic<bool>& stop_requested);

}  // namespace actlab::cli
