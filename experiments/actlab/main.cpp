// actlab: train multilayer perceptrons from YAML experiments and measure what activation functions
// do to training. This file only wires the subcommands; each lives in its own *_command.cpp.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstring>
#include <iostream>

#include "probe_init_command.hpp"
#include "run_command.hpp"

namespace {

std::atomic<bool> stop_requested{false};

// The first SIGINT/SIGTERM asks the run to stop after the current step (results stay consistent);
// a second one terminates at once.
extern "C" void on_stop_signal(int signal) {
  if (stop_requested.exchange(true)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

void install_signal_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  // Human log lines go to stderr (stdout stays free for tables a user may pipe).
  spdlog::set_default_logger(spdlog::stderr_color_mt("actlab"));
  spdlog::set_pattern("%^[%H:%M:%S %l]%$ %v");

  CLI::App app{"actlab: train MLPs and measure what activation functions do to training"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "actlab " ACTLAB_VERSION);

  actlab::cli::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Train from a YAML configuration");
  run_cmd->add_option("config", run.config, "YAML configuration file")
      ->required()
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--set", run.overrides, "Override a key: --set optimizer.learning_rate=0.1")
      ->type_name("KEY=VALUE");
  run_cmd->add_option_function<std::string>(
      "--out", [&](const std::string& dir) { run.out = dir; },
      "Output folder (default: output.dir/name)");
  run_cmd
      ->add_option_function<int>(
          "--threads", [&](int threads) { run.threads = threads; },
          "BLAS threads (default: config, else all cores)")
      ->check(CLI::Range(1, 1024));

  actlab::cli::ProbeInitOptions probe_init;
  CLI::App* probe_init_cmd = app.add_subcommand(
      "probe-init", "Probes of freshly initialised networks, one per seed (no training)");
  probe_init_cmd->add_option("config", probe_init.config, "YAML configuration file")
      ->required()
      ->check(CLI::ExistingFile);
  probe_init_cmd->add_option("--seeds", probe_init.seeds, "Number of networks (default 10)")
      ->check(CLI::Range(1, 100000));
  probe_init_cmd->add_option_function<std::uint64_t>(
      "--first-seed", [&](std::uint64_t seed) { probe_init.first_seed = seed; },
      "Seed of the first network (default: the config's seed)");
  probe_init_cmd->add_option("--set", probe_init.overrides, "Override a key, as for run")
      ->type_name("KEY=VALUE");
  probe_init_cmd->add_option_function<std::string>(
      "--out", [&](const std::string& dir) { probe_init.out = dir; },
      "Output folder (default: output.dir/<name>-probe-init)");
  probe_init_cmd
      ->add_option_function<int>(
          "--threads", [&](int threads) { probe_init.threads = threads; }, "BLAS threads")
      ->check(CLI::Range(1, 1024));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : actlab::cli::kExitBadInput;
  }

  install_signal_handlers();
  if (*run_cmd) return actlab::cli::run_command(run, stop_requested);
  if (*probe_init_cmd) return actlab::cli::probe_init_command(probe_init, std::cout);
  return 0;
}
