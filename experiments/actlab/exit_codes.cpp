#include "exit_codes.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <ios>
#include <new>

#include "actlab/core/error.hpp"

namespace actlab::cli {
namespace {

// The first words of each row of the exit-code table in experiments/README.md.
constexpr std::array kExitCodes = {
    ExitCodeMeaning{kExitOk, "success: the run completed"},
    ExitCodeMeaning{kExitRunFailed, "a run diverged; for a study: a cell failed"},
    ExitCodeMeaning{kExitBadInput, "bad input: the command line, the configuration or the data"},
    ExitCodeMeaning{kExitOutputError, "results cannot be written"},
    ExitCodeMeaning{kExitMissingProgram, "a program that actlab runs (actlab-bench) is missing"},
    ExitCodeMeaning{kExitInterrupted, "interrupted by SIGINT or SIGTERM"},
};

// One rule: the public row, and how to recognise the type. Errors of actlab's own types carry a
// complete message; the standard library's are prefixed with the row's meaning.
struct Rule {
  ErrorExitCode row;
  bool (*matches)(const std::exception&);
  bool own_message;
};

template <typename E>
bool is(const std::exception& e) {
  return dynamic_cast<const E*>(&e) != nullptr;
}

constexpr std::array kRules = {
    Rule{{"actlab::ConfigError", kExitBadInput, "a configuration value is wrong"},
         is<ConfigError>,
         true},
    Rule{{"actlab::DataError", kExitBadInput, "a data file is missing or malformed"},
         is<DataError>,
         true},
    Rule{{"actlab::CheckpointError", kExitBadInput, "a checkpoint does not fit the run"},
         is<CheckpointError>,
         true},
    Rule{
        {"actlab::ResultsError", kExitBadInput, "a results folder to read is missing or malformed"},
        is<ResultsError>,
        true},
    Rule{{"actlab::OutputError", kExitOutputError, "results cannot be written"},
         is<OutputError>,
         true},
    Rule{{"actlab::Error", kExitRunFailed, "another error the user can fix"}, is<Error>, true},
    Rule{{"std::filesystem::filesystem_error", kExitOutputError, "file system error"},
         is<std::filesystem::filesystem_error>,
         false},
    Rule{{"std::ios_base::failure", kExitOutputError, "I/O error"},
         is<std::ios_base::failure>,
         false},
    Rule{{"std::bad_alloc", kExitBadInput,
          "out of memory (actlab run --dry-run shows a run's memory estimate)"},
         is<std::bad_alloc>,
         false},
};

// The terminate handler of exit_on_uncaught_bad_alloc(). Out of memory, it writes constant text
// only: formatting could allocate.
[[noreturn]] void on_terminate() {
  if (const std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::bad_alloc&) {
      for (const Rule& rule : kRules) {
        if (rule.row.error != "std::bad_alloc") continue;
        std::fwrite(rule.row.meaning.data(), 1, rule.row.meaning.size(), stderr);
        std::fputs(": std::bad_alloc\n", stderr);
        std::_Exit(rule.row.code);
      }
    } catch (...) {
    }
  }
  std::abort();
}

constexpr std::array<ErrorExitCode, kRules.size()> rows() {
  std::array<ErrorExitCode, kRules.size()> out{};
  for (std::size_t i = 0; i < kRules.size(); ++i)
    out[i] = kRules[i].row;
  return out;
}
constexpr std::array kRows = rows();

}  // namespace

std::span<const ExitCodeMeaning> exit_codes() {
  return kExitCodes;
}

std::span<const ErrorExitCode> error_exit_codes() {
  return kRows;
}

int run_reporting_errors(const std::function<int()>& subcommand) {
  try {
    return subcommand();
  } catch (const std::exception& e) {
    for (const Rule& rule : kRules) {
      if (!rule.matches(e)) continue;
      if (rule.own_message)
        spdlog::error("{}", e.what());
      else
        spdlog::error("{}: {}", rule.row.meaning, e.what());
      return rule.row.code;
    }
    throw;
  }
}

void exit_on_uncaught_bad_alloc() {
  std::set_terminate(on_terminate);
}

}  // namespace actlab::cli
