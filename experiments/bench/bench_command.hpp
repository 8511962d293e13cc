#pragma once
// `actlab bench`: training throughput of the reference workloads W1–W3 (experiments/bench/
// workloads.hpp), each next to its GEMM-only limit measured in the same process, on the same
// shapes and threads. Rounds alternate training with probes, training without probes and the
// GEMM-only loop, so that a change in machine load hits all three alike; medians are reported.
// Before the rounds it measures the cores' FMA peak and each GEMM engine on each product shape;
// the training runs on the faster engine of each shape (unless ACTLAB_GEMM says otherwise).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace actlab::cli {

struct BenchOptions {
  std::vector<std::string> workloads = {"W1", "W2", "W3"};
  std::size_t steps = 430;  // one epoch of Fashion-MNIST's 55,000 training examples at batch 128
  std::size_t repeats = 5;
  std::optional<int> threads;    // default: all available cores
  std::filesystem::path data;    // Fashion-MNIST folder; empty = the Debian package's
  bool json = false;             // one JSON object per measurement on stdout instead of the table
  bool save_gemm_table = false;  // write the engine table where `actlab run` reads it
};

// The most steps a run can make: one epoch over all 60,000 training images.
inline constexpr std::size_t kMaxBenchSteps = 468;

// Declares the subcommand's options on `command`, to be parsed into `options`.
void add_bench_options(CLI::App& command, BenchOptions& options);
int bench_command(const BenchOptions& options);

}  // namespace actlab::cli
