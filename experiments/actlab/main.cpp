// actlab: train multilayer perceptrons from YAML experiments and measure what activation functions
// do to training. This file only wires the command line's options to the subcommands of the
// actlab_cli library (each in its own *_command.cpp).
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "activations_command.hpp"
#include "actlab/core/blas_kernels.hpp"
#include "actlab/core/build_info.hpp"
#include "exit_codes.hpp"
#include "external_command.hpp"
#include "merge_command.hpp"
#include "option_checks.hpp"
#include "probe_init_command.hpp"
#include "program.hpp"
#include "report_command.hpp"
#include "run_command.hpp"
#include "stop_signal.hpp"
#include "summary_command.hpp"

int main(int argc, char** argv) {
  actlab::cli::begin_program("actlab", argv);

  CLI::App app{"actlab: train MLPs and measure what activation functions do to training"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return "actlab " ACTLAB_VERSION " (commit " + std::string(actlab::git_commit()) + ")\n" +
           actlab::library_versions() +
           "\nOpenBLAS kernels: " + std::string(actlab::openblas_kernels());
  });

  actlab::cli::RunOptions run;
  run.command_line.assign(argv, argv + argc);
  CLI::App* run_cmd = app.add_subcommand(
      "run",
      "Train from a YAML configuration; a configuration with a sweep: block is a study, and "
      "every cell of it is run");
  run_cmd->add_option("config", run.config, "YAML configuration file")
      ->required()
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--set", run.overrides, "Override a key: --set optimizer.learning_rate=0.1")
      ->type_name("KEY=VALUE");
  run_cmd
      ->add_option_function<std::string>(
          "--out", [&](const std::string& dir) { run.out = dir; },
          "Output folder (default: output.dir/name)")
      ->check(actlab::cli::non_empty_folder());
  run_cmd
      ->add_option_function<int>(
          "--threads", [&](int threads) { run.threads = threads; },
          "Threads per run (default: config, else all cores)")
      ->check(CLI::Range(1, 1024));
  run_cmd->add_flag(
      "--resume", run.resume,
      "Continue: finished runs are kept, a partial one continues from its checkpoint");
  run_cmd->add_flag("--overwrite", run.overwrite,
                    "A single run: replace the results its folder holds (without --overwrite or "
                    "--resume such a folder is refused)");
  run_cmd->add_flag("--dry-run", run.dry_run,
                    "Print the resolved configuration and the memory estimate (a study: each "
                    "cell's, and whether --jobs fit at once); train nothing, write nothing");
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
      ->check(actlab::cli::fraction());

  actlab::cli::MergeOptions merge;
  CLI::App* merge_cmd = app.add_subcommand(
      "merge", "Combine the folders of a study's shards and rebuild its summary tables");
  merge_cmd->add_option("study_dirs", merge.inputs, "The shards' study folders")
      ->required()
      ->check(CLI::ExistingDirectory);
  merge_cmd
      ->add_option_function<std::string>(
          "--out", [&](const std::string& dir) { merge.out = dir; },
          "Folder to merge into (default, for a single folder: in place)")
      ->check(actlab::cli::non_empty_folder());

  actlab::cli::ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Plot a study (or one run) into report.html with PNG figures (matplotlib)");
  report_cmd->add_option("dir", report.dir, "A study folder (runs/NAME) or one run folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  report_cmd
      ->add_option_function<std::string>(
          "--out", [&](const std::string& dir) { report.out = dir; },
          "Folder for report.html and the figures (default: DIR/report)")
      ->check(actlab::cli::non_empty_folder());
  report_cmd->add_flag("--self-contained", report.self_contained,
                       "Put the figures and tables inside report.html: one file to send");

  bool markdown = false;
  CLI::App* activations_cmd = app.add_subcommand(
      "activations", "Print every activation: parameters, formula, derivative, properties");
  activations_cmd->add_flag("--markdown", markdown, "As a Markdown table");
  std::string activations_config;
  activations_cmd
      ->add_option("--config", activations_config,
                   "Also the activations this config (or study) defines under activations:")
      ->check(CLI::ExistingFile);

  // A program of its own (experiments/bench): every argument after `bench` goes to it.
  CLI::App* bench_cmd =
      app.add_subcommand("bench",
                         "Training throughput of the workloads W1-W3 against their GEMM-only limit "
                         "(runs actlab-bench; actlab bench --help for its options)");
  bench_cmd->prefix_command();
  bench_cmd->set_help_flag();

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
  probe_init_cmd
      ->add_option_function<std::string>(
          "--out", [&](const std::string& dir) { probe_init.out = dir; },
          "Output folder (default: output.dir/<name>-probe-init)")
      ->check(actlab::cli::non_empty_folder());
  probe_init_cmd
      ->add_option_function<int>(
          "--threads", [&](int threads) { probe_init.threads = threads; }, "Threads")
      ->check(CLI::Range(1, 1024));
  probe_init_cmd
      ->add_option("--metrics", probe_init.metrics,
                   "Per-layer metrics for the table's columns (default: grad_norm_weight, "
                   "weight_norm, activation_std, dead_fraction, saturated_fraction)")
      ->delimiter(',');

  if (const auto exit_code = actlab::cli::parse_command_line(app, argc, argv)) return *exit_code;

  namespace cli = actlab::cli;
  if (*bench_cmd) return cli::exec_beside_self("actlab-bench", bench_cmd->remaining());
  const std::atomic<bool>& stop_requested = cli::install_stop_signal_handlers();
  return cli::run_reporting_errors([&] {
    if (*run_cmd) return cli::run_command(run, stop_requested);
    if (*summary_cmd) return cli::summary_command(summary);
    if (*merge_cmd) return cli::merge_command(merge);
    if (*report_cmd) return cli::report_command(report);
    if (*probe_init_cmd) return cli::probe_init_command(probe_init, std::cout);
    if (*activations_cmd)
      actlab::print_activation_table(
          std::cout, markdown ? actlab::TableStyle::kMarkdown : actlab::TableStyle::kText,
          activations_config.empty() ? actlab::FormulaLibrary{}
                                     : actlab::load_formula_library(activations_config));
    return static_cast<int>(cli::kExitOk);
  });
}
