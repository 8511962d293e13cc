#include "program.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "actlab/core/blas_kernels.hpp"
#include "exit_codes.hpp"

namespace actlab::cli {

void begin_program(const char* name, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt(name));
  spdlog::set_pattern("%^[%H:%M:%S %l]%$ %v");
  restart_with_better_openblas_kernels(argv);
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
}

}  // namespace actlab::cli
