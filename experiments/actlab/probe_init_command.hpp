#pragma once
// `actlab probe-init CONFIG --seeds N`: the probes of N freshly initialised networks, one per seed,
// at step 0 (no training): cheap, and the tool for initialisation studies. Writes
//   <out>/probe_init.csv   run,seed,step,epoch,layer,metric,value (probes.csv's rows plus a seed)
//   <out>/summary.json     per seed: initial losses and accuracies, the probe summary
//   <out>/config.yaml      the resolved configuration (train.epochs 0)
// and prints a compact table (mean ± standard deviation over the seeds, per layer) to stdout, and
// how many networks have a hidden layer whose every unit is dead on every probe sample (with a
// one-sample probe set: a layer that outputs all zeros, as Lu et al. 2019 count "born dead"
// networks). A study file (sweep: or zip:, not over seed) does this for each cell, into
// <out>/<cell id>/ (default out: output.dir/<name>-probe-init).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace actlab::cli {

struct ProbeInitOptions {
  std::filesystem::path config;
  std::vector<std::string> overrides;  // --set key.path=value
  std::size_t seeds = 10;              // the networks use seeds seed, seed + 1, ..., seed + N - 1
  std::optional<std::uint64_t> first_seed;   // default: the config's seed
  std::optional<std::filesystem::path> out;  // default: output.dir/<name>-probe-init
  std::optional<int> threads;
  std::vector<std::string> metrics;  // the table's columns; empty: gradient and weight norms,
                                     // activation spread, dead and saturated fractions
};

// Returns kExitOk; errors are thrown, for run_reporting_errors (exit_codes.hpp).
int probe_init_command(const ProbeInitOptions& options, std::ostream& table);

}  // namespace actlab::cli
