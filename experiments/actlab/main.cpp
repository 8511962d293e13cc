// actlab: train multilayer perceptrons from YAML experiments and measure what activation functions
// do to training. This file only wires the subcommands; each lives in its own *_command.cpp.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "activations_command.hpp"
#include "actlab/core/blas_kernels.hpp"
#include "actlab/core/build_info.hpp"
#include "actlab/experiment/sweep.hpp"
#include "bench_command.hpp"
#include "merge_command.hpp"
#include "probe_init_command.hpp"
#include "report_command.hpp"
#include "run_command.hpp"
#include "study_command.hpp"
#include "summary_command.hpp"

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
  actlab::restart_with_better_openblas_kernels(argv);

  CLI::App app{"actlab: train MLPs and measure what activation functions do to training"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return "actlab " ACTLAB_VERSION " (commit " + std::string(actlab::git_commit()) + ")\n" +
           actlab::library_versions() +
           "\nOpenBLAS kernels: " + std::string(actlab::openblas_kernels());
  });

  actlab::cli::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand(
      "run",
      "Train from a YAML configuration; a configuration with a sweep: block is a study, and "
      "every cell of it is run");
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
          "Threads per run (default: config, else all cores)")
      ->check(CLI::Range(1, 1024));
  run_cmd->add_flag(
      "--resume", run.resume,
      "Continue: finished runs are kept, a partial one continues from its checkpoint");
  run_cmd
      ->add_option_function<int>(
          "--jobs", [&](int jobs) { run.jobs = jobs; },
          "Studies: cells run at once (default: one per core)")
      ->check(CLI::Range(1, 1024));
  run_cmd
      ->add_option_function<std::string>(
          "--shard", [&](const std::string& s) { run.shard = s; },
          "Studies: run only share i of N of the cells")
      ->type_name("i/N");
  run_cmd
      ->add_option_function<std::string>(
          "--cell", [&](const std::string& id) { run.cell = id; },
          "Studies: run only the cell with this run id")
      ->type_name("RUN_ID");

  actlab::cli::SummaryOptions summary;
  CLI::App* summary_cmd = app.add_subcommand(
      "summary", "Print a study's results per group (mean ± std over seeds) as a table");
  summary_cmd->add_option("study_dir", summary.dir, "The study's folder, e.g. runs/NAME")
      ->required()
      ->check(CLI::ExistingDirectory);
  summary_cmd
      ->add_option_function<double>(
          "--target-accuracy", [&](double t) { summary.target_accuracy = t; },
          "Report the first epoch reaching this test accuracy (default: the study's "
          "target_accuracy)")
      ->check(CLI::Range(0.0, 1.0));

  actlab::cli::MergeOptions merge;
  CLI::App* merge_cmd = app.add_subcommand(
      "merge", "Combine the folders of a study's shards and rebuild its summary tables");
  merge_cmd->add_option("study_dirs", merge.inputs, "The shards' study folders")
      ->required()
      ->check(CLI::ExistingDirectory);
  merge_cmd->add_option_function<std::string>(
      "--out", [&](const std::string& dir) { merge.out = dir; },
      "Folder to merge into (default, for a single folder: in place)");

  actlab::cli::ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Plot a study (or one run) into report.html with PNG figures (matplotlib)");
  report_cmd->add_option("dir", report.dir, "A study folder (runs/NAME) or one run folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  report_cmd->add_option_function<std::string>(
      "--out", [&](const std::string& dir) { report.out = dir; },
      "Folder for report.html and the figures (default: DIR/report)");

  bool markdown = false;
  CLI::App* activations_cmd = app.add_subcommand(
      "activations", "Print every activation: parameters, formula, derivative, properties");
  activations_cmd->add_flag("--markdown", markdown, "As a Markdown table");

  actlab::cli::BenchOptions bench;
  CLI::App* bench_cmd = app.add_subcommand(
      "bench", "Training throughput of the workloads W1-W3 against their GEMM-only limit");
  actlab::cli::add_bench_options(*bench_cmd, bench);

  actlab::cli::ProbeInitOptions probe_init;
  CLI::App* probe_init_cmd = app.add_subcommand(
      "probe-init", "Probes of freshly initialised networks, one per seed (no training)");
  probe_init_cmd
      ->add_option("config", probe_init.config,
                   "YAML configuration file; a study (sweep:) probes each cell in its own folder")
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
          "--threads", [&](int threads) { probe_init.threads = threads; }, "Threads")
      ->check(CLI::Range(1, 1024));
  probe_init_cmd
      ->add_option("--metrics", probe_init.metrics,
                   "Per-layer metrics for the table's columns (default: grad_norm_weight, "
                   "weight_norm, activation_std, dead_fraction, saturated_fraction)")
      ->delimiter(',');

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : actlab::cli::kExitBadInput;
  }

  install_signal_handlers();
  if (*run_cmd) {
    const bool study = actlab::is_study_file(run.config, run.overrides);
    if (study && !run.cell) return actlab::cli::study_command(run, stop_requested);
    if (!study && (run.jobs || run.shard || run.cell)) {
      spdlog::error(
          "{}: --jobs, --shard and --cell apply to studies (a configuration with a "
          "sweep: block)",
          run.config.string());
      return actlab::cli::kExitBadInput;
    }
    return actlab::cli::run_command(run, stop_requested);
  }
  if (*summary_cmd) return actlab::cli::summary_command(summary);
  if (*merge_cmd) return actlab::cli::merge_command(merge);
  if (*report_cmd) return actlab::cli::report_command(report);
  if (*bench_cmd) return actlab::cli::bench_command(bench);
  if (*activations_cmd) {
    actlab::print_activation_table(
        std::cout, markdown ? actlab::TableStyle::kMarkdown : actlab::TableStyle::kText);
    return 0;
  }
  if (*probe_init_cmd) return actlab::cli::probe_init_command(probe_init, std::cout);
  return 0;
}
