#pragma once
// What every actlab program does first.
#include <optional>

namespace CLI {
class App;
}

namespace actlab::cli {

// Log lines go to stderr (stdout stays free for tables a user may pipe), under `name`; where
// OpenBLAS fell back to kernels older than the CPU, the program starts again with better ones
// (actlab/core/blas_kernels.hpp).
void begin_program(const char* name, char** argv);

// Parses the command line into `app`'s options. On --help, --version or a usage error it has
// printed what is due and returns the exit code (0, or kExitBadInput); otherwise nothing.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

}  // namespace actlab::cli
