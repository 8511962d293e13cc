#pragma once
// The exit codes of every actlab program, and the one mapping from error type to exit code: library
// code throws typed errors (actlab/core/error.hpp); run_reporting_errors() turns each into one log
// line and its code. Both tables are data, so that the README's exit-code table can be checked
// against them.
#include <functional>
#include <span>
#include <string_view>

namespace actlab::cli {

// Exit codes, documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitRunFailed = 1,         // a run diverged, or a study's cell failed
  kExitBadInput = 2,          // configuration or data is wrong, or the run does not fit in memory
  kExitOutputError = 3,       // results cannot be written (or the run folder is locked)
  kExitMissingProgram = 127,  // a program that actlab runs (actlab-bench) is not installed
  kExitInterrupted = 130,     // SIGINT / SIGTERM
};

struct ExitCodeMeaning {
  int code;
  std::string_view meaning;
};
// Every exit code, in increasing order.
std::span<const ExitCodeMeaning> exit_codes();

// An error type and the exit code it maps to. The rules are tried in order, so a derived type comes
// before its base.
struct ErrorExitCode {
  std::string_view error;  // the C++ type, e.g. "actlab::ConfigError"
  int code;
  std::string_view meaning;
};
std::span<const ErrorExitCode> error_exit_codes();

// Runs `subcommand` and returns its exit code; an error of a type in error_exit_codes() is logged
// as one line and returns its code. Anything else (a bug) propagates.
int run_reporting_errors(const std::function<int()>& subcommand);

// From now on, std::bad_alloc that nothing catches (thrown in another thread, or where an exception
// may not pass) ends the program as run_reporting_errors() would: its row's message and exit code,
// not an abort and a core dump. Any other uncaught exception still aborts: it is a bug.
void exit_on_uncaught_bad_alloc();

}  // namespace actlab::cli
