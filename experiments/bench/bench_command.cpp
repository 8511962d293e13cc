#include "bench_command.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/core/gemm_engine.hpp"
#include "actlab/core/json_text.hpp"
#include "actlab/train/trainer.hpp"
#include "core_speed.hpp"
#include "exit_codes.hpp"
#include "fma_peak.hpp"
#include "gemm_engine_rates.hpp"
#include "workloads.hpp"

namespace actlab::cli {
namespace {

using bench::EngineRate;
using bench::FmaPeak;
using bench::kBatch;

// A round is steady when its two GEMM-only measurements, one before and one after its training
// runs, are within this factor of each other: the machine ran at one speed throughout.
constexpr double kSteadySpread = 1.15;
// Cores whose single-threaded SGEMM rates differ by more than this are reported as uneven.
constexpr double kEvenCores = 0.95;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Samples/s of a training run, as the trainer itself measures it (the training loop only:
// evaluation and the end-of-epoch probe measurement are outside its clock). The run trains two
// epochs of the bench's steps and the second is the one measured: the first warms up what the
// GEMM-only limit's untimed first step warms up (the team's threads, page faults, caches) and
// makes the run's one extra probe measurement, at step 0, so that the measured epoch has the
// probes at their steady default rate, one measurement every probes.every_steps steps. Both are
// returned; the first epoch's figure is reported too (--json).
struct TrainingThroughput {
  double first_epoch = 0, measured = 0;
};
TrainingThroughput training_throughput(ExperimentConfig config, const DataSplits& data) {
  config.train.epochs = 2;
  Trainer trainer(config, data);
  const RunResult result = trainer.run();
  if (result.status != RunStatus::kCompleted || result.epochs.size() != 2)
    throw Error("bench: " + config.name + " did not complete: " + result.message);
  return {result.epochs[0].samples_per_second, result.epochs[1].samples_per_second};
}

// How a GEMM-only step runs its GEMMs on several threads.
enum class GemmThreads {
  kOpenBlas,    // OpenBLAS's own threads
  kTeamSplit,   // each GEMM cut in blocks between a compute team's members (GemmOnlyStep::run)
  kTeamByRows,  // each member all GEMMs on its rows (GemmOnlyStep::run_by_rows)
};

// Samples/s of `steps` GEMM-only steps on `threads` threads, run the given way (members of a team
// call OpenBLAS single-threaded, as in a training step).
double gemm_only_throughput(bench::GemmOnlyStep& gemms, std::size_t steps, int threads,
                            GemmThreads how) {
  std::optional<ComputeTeam> team;
  if (how != GemmThreads::kOpenBlas) team.emplace(threads);
  set_blas_threads(team ? 1 : threads);
  ComputeTeam* const on_team = team ? &*team : nullptr;
  auto step = [&] {
    if (how == GemmThreads::kTeamByRows)
      gemms.run_by_rows(on_team);
    else
      gemms.run(on_team);
  };
  step();  // wakes the threads and faults the pages in
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t s = 0; s < steps; ++s)
    step();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(steps * kBatch) / seconds;
}

// The GEMM-only limit on `threads` threads: the fastest of the three ways to run the GEMMs
// (measured one after the other), so that no way of running them can make the training look
// closer to its limit than it is.
struct GemmOnlyLimit {
  double openblas_threads = 0, team_split = 0, team_by_rows = 0;
  double best() const { return std::max({openblas_threads, team_split, team_by_rows}); }
};
GemmOnlyLimit gemm_only_limit(bench::GemmOnlyStep& gemms, std::size_t steps, int threads) {
  GemmOnlyLimit limit;
  limit.openblas_threads = gemm_only_throughput(gemms, steps, threads, GemmThreads::kOpenBlas);
  if (threads == 1) {
    // The same single-threaded calls every way.
    limit.team_split = limit.team_by_rows = limit.openblas_threads;
    return limit;
  }
  limit.team_split = gemm_only_throughput(gemms, steps, threads, GemmThreads::kTeamSplit);
  limit.team_by_rows = gemm_only_throughput(gemms, steps, threads, GemmThreads::kTeamByRows);
  return limit;
}

// One value per measured round. The ratios are taken within a round, whose measurements run back
// to back (limit, training with probes, training without, limit again), and then their median over
// the steady rounds: steadier than a ratio of medians on a shared machine, and a round in which the
// machine's speed changed is set aside instead of mixing two speeds into one ratio.
struct Measurements {
  std::vector<double> probes_on, probes_off, gemm_only;
  std::vector<double> gemm_only_best_engine, best_engine_ratio;  // the engine table's limit
  // Training with probes on OpenBLAS for every product, and the engines' gain over it.
  std::vector<double> on_openblas, engine_gain;
  std::vector<double> limits;  // every GEMM-only measurement, two per round
  std::vector<double> limit_ratio, probe_cost;
  std::vector<bool> steady;

  // The median of `values` over the steady rounds; over all of them if none was steady.
  double steady_median(const std::vector<double>& values) const {
    std::vector<double> kept;
    for (std::size_t r = 0; r < values.size(); ++r)
      if (steady[r]) kept.push_back(values[r]);
    return median(kept.empty() ? values : kept);
  }
  // The fastest training run against the fastest GEMM-only measurement, over all rounds. Whatever
  // else the machine does can only slow a run down, so each side's fastest run is the one least
  // disturbed; unlike a round's own ratio, this does not drop when a slow period covers a training
  // run but neither of the limits around it.
  double best_ratio() const {
    return *std::max_element(probes_on.begin(), probes_on.end()) /
           *std::max_element(limits.begin(), limits.end());
  }
  std::size_t steady_rounds() const {
    return static_cast<std::size_t>(std::count(steady.begin(), steady.end(), true));
  }
  // The steady rounds' ratios, split into those at full speed (a limit within kSteadySpread of the
  // highest steady one) and the slower rest.
  std::pair<std::vector<double>, std::vector<double>> ratios_by_speed() const {
    double best = 0;
    for (std::size_t r = 0; r < steady.size(); ++r)
      if (steady[r]) best = std::max(best, gemm_only[r]);
    std::pair<std::vector<double>, std::vector<double>> split;
    for (std::size_t r = 0; r < steady.size(); ++r)
      if (steady[r])
        (kSteadySpread * gemm_only[r] >= best ? split.first : split.second)
            .push_back(limit_ratio[r]);
    return split;
  }
};

// "3 rounds, ratio 80.1-83.2 % (median 82.3 %)", or "1 round, ratio 80.7 %"
std::string describe_ratios(const std::vector<double>& ratios) {
  char text[112];
  if (ratios.size() == 1) {
    std::snprintf(text, sizeof(text), "1 round, ratio %.1f %%", 100 * ratios.front());
    return text;
  }
  const auto [low, high] = std::minmax_element(ratios.begin(), ratios.end());
  std::snprintf(text, sizeof(text), "%zu rounds, ratio %.1f-%.1f %% (median %.1f %%)",
                ratios.size(), 100 * *low, 100 * *high, 100 * median(ratios));
  return text;
}

double load_average() {
  double load = 0;
  return getloadavg(&load, 1) == 1 ? load : -1;
}

// What every round runs on: the workloads, one data set, the steps and threads.
struct BenchSetup {
  std::vector<const bench::Workload*> workloads;
  DataConfig data_config;
  DataSplits data;
  std::size_t steps = 0;
  int threads = 1;
  std::vector<double> core_gflops;  // each core's single-threaded SGEMM rate
  FmaPeak fma;
  std::vector<EngineRate> engine_rates;
  // OpenBLAS for every product; the engine table's choice per shape; what the training runs on.
  GemmEnginePolicy openblas, best_engine, training;
};

// One round of workload `i`, as one JSON line (--json).
void print_round_json(const BenchSetup& setup, std::size_t i, std::size_t round,
                      const TrainingThroughput& probes_on, const TrainingThroughput& probes_off,
                      const TrainingThroughput& on_openblas, const GemmOnlyLimit& before,
                      const GemmOnlyLimit& after, const GemmOnlyLimit& best_before,
                      const GemmOnlyLimit& best_after, bool steady) {
  const double limit_before = before.best(), limit_after = after.best();
  nlohmann::json j{
      {"workload", setup.workloads[i]->name},
      {"round", round},
      {"threads", setup.threads},
      {"steps", setup.steps},
      {"samples_per_second", probes_on.measured},
      {"samples_per_second_no_probes", probes_off.measured},
      {"samples_per_second_openblas", on_openblas.measured},
      {"first_epoch_samples_per_second", probes_on.first_epoch},
      {"first_epoch_samples_per_second_no_probes", probes_off.first_epoch},
      {"gemm_only_samples_per_second", 0.5 * (limit_before + limit_after)},
      {"gemm_only_before", limit_before},
      {"gemm_only_after", limit_after},
      {"gemm_only_openblas_threads", {before.openblas_threads, after.openblas_threads}},
      {"gemm_only_team_split", {before.team_split, after.team_split}},
      {"gemm_only_team_by_rows", {before.team_by_rows, after.team_by_rows}},
      {"gemm_only_best_engine_before", best_before.best()},
      {"gemm_only_best_engine_after", best_after.best()},
      {"steady", steady},
      {"core_sgemm_gflops", setup.core_gflops},
      {"core_fma_peak_gflops", setup.fma.gflops},
      {"fma_peak_gflops", setup.fma.together}};
  std::printf("%s\n", json_text(j).c_str());
  std::fflush(stdout);
}

// The warm-up round and `repeats` measured rounds, each workload in turn within a round.
std::vector<Measurements> measure_rounds(const BenchSetup& setup, std::size_t repeats, bool json) {
  const std::size_t steps = setup.steps;
  const int threads = setup.threads;
  const auto& workloads = setup.workloads;
  const DataSplits& data = setup.data;
  // Training logs one line per epoch; only problems matter here.
  const auto log_level = spdlog::get_level();
  spdlog::set_level(spdlog::level::err);
  std::vector<Measurements> results(workloads.size());
  std::vector<bench::GemmOnlyStep> gemms;
  for (const bench::Workload* w : workloads)
    gemms.emplace_back(bench::layer_widths(*w), kBatch);
  for (std::size_t round = 0; round <= repeats; ++round) {
    for (std::size_t i = 0; i < workloads.size(); ++i) {
      ExperimentConfig config = bench::workload_config(*workloads[i], threads);
      config.data = setup.data_config;
      set_gemm_engine_policy(setup.openblas);
      const GemmOnlyLimit before = gemm_only_limit(gemms[i], steps, threads);
      set_gemm_engine_policy(setup.best_engine);
      const GemmOnlyLimit best_before = gemm_only_limit(gemms[i], steps, threads);
      set_gemm_engine_policy(setup.training);
      const TrainingThroughput probes_on = training_throughput(config, data);
      set_gemm_engine_policy(setup.openblas);
      const TrainingThroughput on_openblas = training_throughput(config, data);
      set_gemm_engine_policy(setup.training);
      config.probes.enabled = false;
      const TrainingThroughput probes_off = training_throughput(config, data);
      const double on = probes_on.measured, off = probes_off.measured;
      set_gemm_engine_policy(setup.best_engine);
      const GemmOnlyLimit best_after = gemm_only_limit(gemms[i], steps, threads);
      set_gemm_engine_policy(setup.openblas);
      const GemmOnlyLimit after = gemm_only_limit(gemms[i], steps, threads);
      const double limit_before = before.best(), limit_after = after.best();
      if (round == 0) continue;  // warm-up: page faults, BLAS thread start, CPU clocks
      const double limit = 0.5 * (limit_before + limit_after);
      const bool steady = std::max(limit_before, limit_after) <=
                          kSteadySpread * std::min(limit_before, limit_after);
      results[i].probes_on.push_back(on);
      results[i].probes_off.push_back(off);
      results[i].on_openblas.push_back(on_openblas.measured);
      results[i].engine_gain.push_back(on / on_openblas.measured);
      results[i].gemm_only.push_back(limit);
      results[i].limits.push_back(limit_before);
      results[i].limits.push_back(limit_after);
      results[i].limit_ratio.push_back(on / limit);
      const double best_limit = 0.5 * (best_before.best() + best_after.best());
      results[i].gemm_only_best_engine.push_back(best_limit);
      results[i].best_engine_ratio.push_back(on / best_limit);
      results[i].probe_cost.push_back(off / on - 1);
      results[i].steady.push_back(steady);
      if (json)
        print_round_json(setup, i, round, probes_on, probes_off, on_openblas, before, after,
                         best_before, best_after, steady);
    }
  }
  spdlog::set_level(log_level);
  return results;
}

void print_table(const BenchSetup& setup, const std::vector<Measurements>& results,
                 std::size_t repeats, double load_at_start) {
  const std::size_t steps = setup.steps;
  const int threads = setup.threads;
  const auto& workloads = setup.workloads;
  const std::vector<double>& core_gflops = setup.core_gflops;
  std::printf(
      "actlab bench: Fashion-MNIST, batch %zu, SGD momentum 0.9, %d thread%s, "
      "%zu steps per epoch, the second of two measured, median of %zu rounds; load average "
      "%.2f at the start, %.2f at the end\n",
      kBatch, threads, threads == 1 ? "" : "s", steps, repeats, load_at_start, load_average());
  std::printf("cores: single-threaded SGEMM");
  for (std::size_t core = 0; core < core_gflops.size(); ++core)
    std::printf("%s %.1f", core == 0 ? "" : ",", core_gflops[core]);
  std::printf(" GFLOP/s\n");
  if (!core_gflops.empty()) {
    const auto [slowest, fastest] = std::minmax_element(core_gflops.begin(), core_gflops.end());
    if (*slowest < kEvenCores * *fastest)
      std::printf(
          "note: the slowest core ran at %.0f %% of the fastest; every pass split evenly between "
          "the threads (the GEMM-only limit's too) waits for the slower one\n",
          100 * *slowest / *fastest);
  }
  std::printf("%-4s %-26s %10s %8s %7s %10s %7s %10s %7s %7s %10s %7s %10s %7s %7s\n", "",
              "network", "samples/s", "GFLOP/s", "of FMA", "OpenBLAS", "ratio", "best eng.",
              "ratio", "best", "on OpenBLAS", "gain", "no probes", "probes", "steady");
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const Measurements& m = results[i];
    const double flops = bench::training_flops_per_sample(bench::layer_widths(*workloads[i]));
    const double on = m.steady_median(m.probes_on);
    const double off = m.steady_median(m.probes_off);
    const double limit = m.steady_median(m.gemm_only);
    const double best_engine = m.steady_median(m.gemm_only_best_engine);
    const double fma = setup.fma.together > 0 ? on * flops * 1e-9 / setup.fma.together : 0;
    std::printf(
        "%-4s %-26s %10.0f %8.1f %6.1f%% %10.0f %6.1f%% %10.0f %6.1f%% %6.1f%% %10.0f %6.3f "
        "%10.0f %6.1f%% %3zu/%-3zu\n",
        workloads[i]->name.c_str(), workloads[i]->description.c_str(), on, on * flops * 1e-9,
        100 * fma, limit, 100 * m.steady_median(m.limit_ratio), best_engine,
        100 * m.steady_median(m.best_engine_ratio), 100 * m.best_ratio(),
        m.steady_median(m.on_openblas), m.steady_median(m.engine_gain), off,
        100 * m.steady_median(m.probe_cost), m.steady_rounds(), m.steady.size());
  }
  std::printf(
      "of FMA: training GFLOP/s (probes on) / the FMA peak of the %d core%s at once. OpenBLAS, "
      "best eng.: the GEMM-only limit in samples/s with OpenBLAS for every product, and with the "
      "engine table's engine for each; ratio: training / that limit (the mean of one measurement "
      "before and one after the training runs, each the fastest of OpenBLAS's own threads, each "
      "GEMM split between the threads, and each thread all GEMMs on its rows of the batch). "
      "Training runs its second epoch timed, the first warms up as the limit's untimed first "
      "step does. probes: extra training time with probes at their default frequency. Ratios are "
      "medians of the rounds' own ratios over the steady rounds, those whose two OpenBLAS "
      "GEMM-only measurements agree within 15 %%. best: the fastest training run / the fastest "
      "OpenBLAS GEMM-only measurement, over all rounds. on OpenBLAS: the same training with "
      "OpenBLAS for every product (ACTLAB_GEMM=openblas), in the same rounds; gain: training / "
      "that\n",
      threads, threads == 1 ? "" : "s");
}

// The cores' FMA peak and each engine's rate on each product, before the rounds.
void print_engines(const BenchSetup& setup) {
  std::printf("FMA peak (%s, single precision): each core alone", setup.fma.vectors.c_str());
  for (std::size_t core = 0; core < setup.fma.gflops.size(); ++core)
    std::printf("%s %.1f", core == 0 ? "" : ",", setup.fma.gflops[core]);
  std::printf("; %d at once %.1f GFLOP/s\n", setup.threads, setup.fma.together);
  std::printf("GEMM engines on one core (GFLOP/s; %s; the training runs on %s):\n",
              libxsmm_status().c_str(),
              setup.training.mode == GemmEngineMode::kAuto ? "the faster of each shape"
                                                           : mode_name(setup.training.mode));
  std::printf("  %-24s %9s %9s  %s\n", "product (m x n x k)", "OpenBLAS", "libxsmm", "faster");
  const GemmEngineTable& table = *setup.best_engine.table;
  for (const EngineRate& r : setup.engine_rates) {
    char libxsmm[16] = "no kernel";
    if (r.libxsmm > 0) std::snprintf(libxsmm, sizeof(libxsmm), "%.1f", r.libxsmm);
    std::printf("  %-24s %9.1f %9s  %s\n", r.shape.text().c_str(), r.openblas, libxsmm,
                engine_name(table.engines.at(r.shape)));
  }
}

void print_notes(const BenchSetup& setup, const std::vector<Measurements>& results) {
  const auto& workloads = setup.workloads;
  // The GEMM-only limit is the steadiest figure: if it moved, the machine did (other work, or a
  // virtual CPU that is not always all there; BENCHMARKS.md), and the medians mix two speeds.
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const Measurements& m = results[i];
    if (m.steady_rounds() == 0)
      std::printf(
          "warning: %s had no steady round (the machine's speed changed during every one), so "
          "its figures are medians over all rounds (--json shows each round)\n",
          workloads[i]->name.c_str());
    const auto [low, high] = std::minmax_element(m.gemm_only.begin(), m.gemm_only.end());
    if (*high > kSteadySpread * *low)
      std::printf(
          "note: %s's GEMM-only limit ranged from %.0f to %.0f samples/s between rounds: the "
          "machine ran at more than one speed (--json shows each round)\n",
          workloads[i]->name.c_str(), *low, *high);
    const auto [full_speed, slower] = m.ratios_by_speed();
    if (!slower.empty())
      std::printf("note: %s's steady rounds: %s at full speed, %s slower\n",
                  workloads[i]->name.c_str(), describe_ratios(full_speed).c_str(),
                  describe_ratios(slower).c_str());
  }
}

}  // namespace

void add_bench_options(CLI::App& command, BenchOptions& options) {
  command
      .add_option("--workloads", options.workloads,
                  "Workloads to run (default: W1 W2 W3; W1f, W1m, W1m-f: W1 with formula and mish "
                  "activations)")
      ->check(CLI::IsMember({"W1", "W2", "W3", "W1f", "W1m", "W1m-f"}));
  command
      .add_option("--steps", options.steps,
                  "Training steps per epoch; a run trains two and times the second (default: 430)")
      ->check(CLI::Range(std::size_t{1}, kMaxBenchSteps));
  command.add_option("--repeats", options.repeats, "Measured rounds after one warm-up round")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}));
  command
      .add_option_function<int>(
          "--threads", [&options](int threads) { options.threads = threads; },
          "Threads (default: all available cores)")
      ->check(CLI::Range(1, 1024));
  command.add_option("--data", options.data, "Fashion-MNIST folder (default: Debian's)");
  command.add_flag("--json", options.json, "One JSON line per measurement instead of the table");
  command.add_flag("--save-gemm-table", options.save_gemm_table,
                   "Write the measured GEMM engine table where `actlab run` reads it "
                   "(ACTLAB_GEMM_TABLE, else ~/.cache/actlab/gemm_engines.json)");
}

int bench_command(const BenchOptions& options) {
  BenchSetup setup;
  setup.threads = options.threads ? *options.threads : available_cores();
  for (const std::string& name : options.workloads)
    setup.workloads.push_back(&bench::find_workload(name));

  // One data set for every run: `steps` full batches of training images, no evaluation splits.
  setup.data_config.path = options.data;
  setup.data_config.validation_size = 0;
  setup.data_config.train_subset = std::min<std::size_t>(options.steps * kBatch, 60000);
  setup.data = load_data(setup.data_config, 1);
  setup.data.validation = {};
  setup.data.test = {};
  setup.steps = (setup.data.train.size() + kBatch - 1) / kBatch;

  // Each core's own speed, measured before anything else runs: a slow core slows every split
  // pass, the limit's included (core_speed.hpp).
  setup.core_gflops = bench::core_sgemm_gflops();
  setup.fma = bench::measure_fma_peak(setup.threads);
  // The products of a whole batch (a step split between the threads) and of each thread's rows
  // of it (a step by rows, as W3 trains).
  std::vector<std::size_t> batch_rows = {kBatch};
  for (std::size_t member = 0; member < static_cast<std::size_t>(setup.threads); ++member) {
    const auto [first, last] =
        part_range(kBatch, static_cast<std::size_t>(setup.threads), 1, member);
    if (last > first) batch_rows.push_back(last - first);
  }
  std::vector<GemmShape> shapes;
  for (const bench::Workload* w : setup.workloads)
    for (const std::size_t rows : batch_rows)
      for (const GemmShape& shape : bench::training_gemm_shapes(bench::layer_widths(*w), rows))
        if (std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) shapes.push_back(shape);
  setup.engine_rates = bench::measure_engine_rates(shapes);
  const GemmEngineTable table = bench::engine_table(setup.engine_rates);
  setup.openblas.mode = GemmEngineMode::kOpenBlas;
  setup.best_engine.table = table;
  setup.best_engine.table_source = "measured by actlab bench";
  // The training: on the engine table's choice, unless ACTLAB_GEMM names one engine.
  setup.training =
      gemm_engine_policy().mode == GemmEngineMode::kAuto ? setup.best_engine : gemm_engine_policy();
  if (options.save_gemm_table) {
    const std::filesystem::path file = default_gemm_table_path();
    write_gemm_table(file, table);
    spdlog::info(
        "wrote the GEMM engine table to {}: `actlab run` takes each shape's engine from "
        "it (ACTLAB_GEMM=auto)",
        file.string());
  }

  const double load_at_start = load_average();
  const std::vector<Measurements> results = measure_rounds(setup, options.repeats, options.json);
  if (options.json) return kExitOk;
  print_engines(setup);
  print_table(setup, results, options.repeats, load_at_start);
  print_notes(setup, results);
  return kExitOk;
}

}  // namespace actlab::cli
