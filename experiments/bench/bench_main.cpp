// actlab-bench: training throughput of the workloads W1-W3 against their GEMM-only limit
// (bench_command.hpp). `actlab bench ARGS` runs this program with ARGS.
#include <CLI/CLI.hpp>

#include "bench_command.hpp"
#include "exit_codes.hpp"
#include "program.hpp"

int main(int argc, char** argv) {
  actlab::cli::begin_program("actlab", argv);
  CLI::App app{
      "actlab bench: training throughput of the workloads W1-W3 against their GEMM-only "
      "limit"};
  app.name("actlab bench");
  actlab::cli::BenchOptions options;
  actlab::cli::add_bench_options(app, options);
  if (const auto exit_code = actlab::cli::parse_command_line(app, argc, argv)) return *exit_code;
  return actlab::cli::run_reporting_errors([&] { return actlab::cli::bench_command(options); });
}
