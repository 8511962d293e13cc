#pragma once
// `actlab run CONFIG`: one training run from a YAML file.
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
  kExitOutputError = 3,   // results cannot be written
  kExitInterrupted = 130  // SIGINT / SIGTERM
};

struct RunOptions {
  std::filesystem::path config;
  std::vector<std::string> overrides;  // --set key.path=value
  std::optional<std::filesystem::path> out;
  std::optional<int> threads;
};

// Runs and returns the exit code; bad input is reported (one line) and mapped to its code.
int run_command(const RunOptions& options, const std::atomic<bool>& stop_requested);

}  // namespace actlab::cli
