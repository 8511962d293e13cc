#include "program.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "actlab/core/blas_kernels.hpp"
#include "exit_codes.hpp"

namespace actlab::cli {
void begin_program(const char* name, char** argv) {
  exit_on_uncaught_bad_alloc();
  spdlog::set_default_logger(spdlog::stderr_color_mt(name));
  spdlog::set_pattern("%^[%H:%M:%S %l]%$ %v");
  restart_with_better_openblas_kernels(argv);
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  // CLI11 reports a mistyped subcommand as "A subcommand is required": name it and the valid ones.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* subcommand : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || subcommand->check_name(argv[1]);
      names += (names.empty() ? "" : ", ") + subcommand->get_name();
    }
    if (!known && !names.empty()) {
      std::fprintf(stderr, "'%s' is not a subcommand; the subcommands are: %s\n", argv[1],
                   names.c_str());
      return kExitBadInput;
    }
  }
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
}

}  // namespace actlab::cli
