// The kernels of a training step on the shapes of the reference workloads W1–W3 (workloads.hpp),
// each alone, then whole steps: every GEMM shape (forward, dW, dA), every activation's forward and
// backward, the fused softmax cross-entropy, the batch gather, the SGD update, one
// Trainer step with and without probes, and the GEMM-only step it is measured against.
//
//   build/release/bin/training_bench [--blas_threads=N] [Google Benchmark flags]
//
// --blas_threads (default 1) sets OpenBLAS's threads. With one thread, the cpu_time column is the
// work itself and stays meaningful on a loaded machine; real_time is what a user waits.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actlab/core/blas_kernels.hpp"
#include "actlab/core/compute_team.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/core/rng.hpp"
#include "actlab/core/sum_of_squares.hpp"
#include "actlab/data/batch.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "actlab/optim/optimizer.hpp"
#include "actlab/train/trainer.hpp"
#include "workloads.hpp"

namespace actlab::bench {
namespace {

Matrix<float> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed,
                            double scale = 1.0) {
  Matrix<float> m(rows, cols);
  Rng rng(seed);
  for (std::size_t i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(rng.uniform(-scale, scale));
  return m;
}

void per_sample(benchmark::State& state, double flops = 0) {
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(kBatch),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  if (flops > 0)
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

enum class GemmKind { kForward, kWeightGrad, kInputGrad };

// The three products of a Linear (in → out) at batch 128, called as Linear calls them.
void gemm_shape(benchmark::State& state, std::size_t in, std::size_t out, GemmKind kind) {
  Matrix<float> a = random_matrix(kBatch, in, 1), w = random_matrix(out, in, 2, 0.1);
  Matrix<float> z(kBatch, out), dz = random_matrix(kBatch, out, 3), dw(out, in), da(kBatch, in);
  for (auto _ : state) {
    switch (kind) {
      case GemmKind::kForward:
        gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f, a.view(), w.view(), 1.0f, z.view());
        break;
      case GemmKind::kWeightGrad:
        gemm<float>(Transpose::kYes, Transpose::kNo, 1.0f, dz.view(), a.view(), 1.0f, dw.view());
        break;
      case GemmKind::kInputGrad:
        gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, dz.view(), w.view(), 0.0f, da.view());
        break;
    }
    benchmark::ClobberMemory();
  }
  per_sample(state, 2.0 * static_cast<double>(in * out));
}

// An activation layer of `width` input units at batch 128, its parameters (PReLU's slope) bound
// and initialised: forward then backward, as in training (rrelu and gumbel_softmax draw noise).
void activation_step(benchmark::State& state, const std::string& name, std::size_t width) {
  std::unique_ptr<Layer<float>> layer = make_activation_layer<float>({name, {}}, width);
  std::size_t count = 0;
  for (const ParameterShape& shape : layer->parameter_shapes())
    count += shape.rows * shape.cols;
  Matrix<float> params(1, count + 1), grads(1, count + 1);
  std::vector<MatrixView<float>> values, gradients;
  std::size_t offset = 0;
  for (const ParameterShape& shape : layer->parameter_shapes()) {
    values.push_back({params.data() + offset, shape.rows, shape.cols});
    gradients.push_back({grads.data() + offset, shape.rows, shape.cols});
    offset += shape.rows * shape.cols;
  }
  layer->bind_parameters(values, gradients);
  Rng rng(3);
  layer->initialize(rng);
  const std::size_t out = layer->output_size();
  Matrix<float> x = random_matrix(kBatch, width, 1, 3.0), y(kBatch, out);
  Matrix<float> dy = random_matrix(kBatch, out, 2), dx(kBatch, width);
  for (auto _ : state) {
    layer->forward(x.view(), y.view(), {.training = true, .rng = &rng});
    layer->backward(dy.view(), dx.view());
    benchmark::ClobberMemory();
  }
  per_sample(state);
}

void loss_step(benchmark::State& state) {
  Matrix<float> logits = random_matrix(kBatch, kClasses, 1, 5.0), dlogits(kBatch, kClasses);
  std::vector<std::int32_t> labels(kBatch);
  for (std::size_t i = 0; i < kBatch; ++i)
    labels[i] = static_cast<std::int32_t>(i % kClasses);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        softmax_cross_entropy<float>(logits.view(), labels, 0.0, dlogits.view()));
    benchmark::ClobberMemory();
  }
  per_sample(state);
}

const DataSplits& fashion_mnist() {
  static const DataSplits data = [] {
    DataConfig config;
    config.validation_size = 0;
    return load_data(config, 1);
  }();
  return data;
}

void gather_step(benchmark::State& state) {
  const DataSplits& data = fashion_mnist();
  std::vector<std::uint32_t> order(data.train.size());
  epoch_order(order.size(), 1, 1, order);
  Matrix<float> x(kBatch, kInputs);
  std::vector<std::int32_t> labels(kBatch);
  std::size_t first = 0;
  for (auto _ : state) {
    if (first + kBatch > order.size()) first = 0;
    gather_batch(data.train, {order.data() + first, kBatch}, data.normalizer, x.view(), labels);
    first += kBatch;
    benchmark::ClobberMemory();
  }
  per_sample(state);
}

std::size_t parameter_count(const Workload& w) {
  const std::vector<std::size_t> widths = layer_widths(w);
  std::size_t n = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l)
    n += widths[l] * widths[l + 1] + widths[l + 1];
  return n;
}

void sgd_step(benchmark::State& state, const Workload* w) {
  const std::size_t n = parameter_count(*w);
  OptimizerConfig config;
  config.momentum = 0.9;
  std::unique_ptr<Optimizer> sgd = make_optimizer(config, n);
  Matrix<float> params = random_matrix(1, n, 1), grads = random_matrix(1, n, 2, 1e-3);
  for (auto _ : state) {
    sgd->step({params.data(), n}, {grads.data(), n}, 0.05);
    benchmark::ClobberMemory();
  }
  per_sample(state);
}

// Σ g² over a workload's gradient count, as the gradient-norm pass computes it (sum_of_squares:
// float blocks, double totals), and the loop it replaced, every element converted to double.
void gradient_square_sum(benchmark::State& state, const Workload* w, bool per_element_double) {
  const std::size_t n = parameter_count(*w);
  const Matrix<float> grads = random_matrix(1, n, 2, 1e-3);
  const float* g = grads.data();
  for (auto _ : state) {
    double sum = 0;
    if (per_element_double) {
#pragma omp simd reduction(+ : sum)
      for (std::size_t k = 0; k < n; ++k)
        sum += static_cast<double>(g[k]) * static_cast<double>(g[k]);
    } else {
      sum = sum_of_squares({g, n});
    }
    benchmark::DoNotOptimize(sum);
  }
}

// Trainer::train_step on consecutive batches of one epoch's order, probes on or off; with
// next_batch, each step is given the next step's rows as Trainer::run gives them (gathered in the
// team's idle time, or on one thread prefetched), without, it gathers its batch itself.
void train_step(benchmark::State& state, const Workload* w, bool probes, int threads,
                bool next_batch) {
  const DataSplits& data = fashion_mnist();
  ExperimentConfig config = workload_config(*w, threads);
  config.probes.enabled = probes;
  Trainer trainer(config, data);
  set_blas_threads(1);  // as Trainer::run sets it: the trainer's team splits the GEMMs
  std::vector<std::uint32_t> order(data.train.size());
  epoch_order(order.size(), 1, 1, order);
  const std::size_t batches = order.size() / kBatch;
  std::size_t step = 0;
  for (auto _ : state) {
    const std::size_t b = step % batches;
    const std::span<const std::uint32_t> next(order.data() + (b + 1) % batches * kBatch, kBatch);
    trainer.train_step({order.data() + b * kBatch, kBatch}, step, 1, 0.05,
                       next_batch ? next : std::span<const std::uint32_t>());
    ++step;
  }
  per_sample(state, training_flops_per_sample(layer_widths(*w)));
}

// One probe measurement (the probe-set forward pass and every activation-side statistic), which
// the trainer makes every probes.every_steps steps.
void probe_measure(benchmark::State& state, const Workload* w) {
  const DataSplits& data = fashion_mnist();
  const ExperimentConfig config = workload_config(*w, 1);
  MlpSpec spec{kInputs, w->hidden, kClasses, config.model.activation, config.model.init, 0.0};
  Sequential<float> network = build_mlp<float>(spec);
  Rng rng(1);
  network.initialize(rng);
  network.plan(config.probes.probe_set_size);
  Probes probes(config.probes, network, data.train, data.normalizer, 1, w->name, nullptr);
  std::size_t step = 0;
  for (auto _ : state)
    probes.measure(step++, 1);
}

// The GEMM-only limit: the GEMMs threaded by OpenBLAS (kOpenBlas), split between a compute team's
// members as a training step splits them (kTeamSplit), or each member all of them on its own rows
// of the batch, as the row-parallel pass runs them (kTeamByRows).
enum class GemmThreads { kOpenBlas, kTeamSplit, kTeamByRows };
void gemm_only_step(benchmark::State& state, const Workload* w, int threads, GemmThreads how) {
  GemmOnlyStep gemms(layer_widths(*w), kBatch);
  std::optional<ComputeTeam> team;
  if (how != GemmThreads::kOpenBlas) team.emplace(threads);
  set_blas_threads(team ? 1 : threads);
  ComputeTeam* const on_team = team ? &*team : nullptr;

  for (auto _ : state) {
    if (how == GemmThreads::kTeamByRows)
      gemms.run_by_rows(on_team);
    else
      gemms.run(on_team);
    benchmark::ClobberMemory();
  }
  per_sample(state, training_flops_per_sample(layer_widths(*w)));
}

}  // namespace
}  // namespace actlab::bench

int main(int argc, char** argv) {
  actlab::restart_with_better_openblas_kernels(argv);
  using namespace actlab;
  using namespace actlab::bench;
  int threads = 1;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--blas_threads=", 15) == 0) {
      threads = std::atoi(argv[i] + 15);
      for (int j = i; j + 1 < argc; ++j)
        argv[j] = argv[j + 1];
      --argc;
      break;
    }
  set_blas_threads(threads);

  std::set<std::pair<std::size_t, std::size_t>> shapes;
  for (const Workload& w : reference_workloads()) {
    const std::vector<std::size_t> widths = layer_widths(w);
    for (std::size_t l = 0; l + 1 < widths.size(); ++l)
      shapes.insert({widths[l], widths[l + 1]});
  }
  for (const auto& [in, out] : shapes) {
    const std::string shape = std::to_string(in) + "x" + std::to_string(out);
    benchmark::RegisterBenchmark(("gemm_forward/" + shape).c_str(), gemm_shape, in, out,
                                 GemmKind::kForward);
    benchmark::RegisterBenchmark(("gemm_weight_grad/" + shape).c_str(), gemm_shape, in, out,
                                 GemmKind::kWeightGrad);
    benchmark::RegisterBenchmark(("gemm_input_grad/" + shape).c_str(), gemm_shape, in, out,
                                 GemmKind::kInputGrad);
  }
  // Every registered activation on a 128 × 512 batch (W2's shape); the workloads' own on theirs.
  for (const std::string& name : activation_names())
    benchmark::RegisterBenchmark(("activation/" + name + "/512").c_str(), activation_step, name,
                                 std::size_t{512});
  for (const Workload& w : reference_workloads())
    if (w.hidden.front() != 512)
      benchmark::RegisterBenchmark(
          ("activation/" + w.activation + "/" + std::to_string(w.hidden.front())).c_str(),
          activation_step, w.activation, w.hidden.front());
  benchmark::RegisterBenchmark("softmax_cross_entropy", loss_step);
  benchmark::RegisterBenchmark("gather_batch", gather_step);
  for (const Workload& w : reference_workloads()) {
    benchmark::RegisterBenchmark(("sgd_step/" + w.name).c_str(), sgd_step, &w);
    benchmark::RegisterBenchmark(("gradient_square_sum/" + w.name).c_str(), gradient_square_sum, &w,
                                 false);
    benchmark::RegisterBenchmark(("gradient_square_sum_per_element_double/" + w.name).c_str(),
                                 gradient_square_sum, &w, true);
    benchmark::RegisterBenchmark(("gemm_only_step/" + w.name).c_str(), gemm_only_step, &w, threads,
                                 actlab::bench::GemmThreads::kOpenBlas)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("gemm_only_step_team_split/" + w.name).c_str(), gemm_only_step,
                                 &w, threads, actlab::bench::GemmThreads::kTeamSplit)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("gemm_only_step_team_by_rows/" + w.name).c_str(), gemm_only_step,
                                 &w, threads, actlab::bench::GemmThreads::kTeamByRows)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("probe_measure/" + w.name).c_str(), probe_measure, &w)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("train_step/" + w.name + "/probes_off").c_str(), train_step, &w,
                                 false, threads, true)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("train_step/" + w.name + "/probes_on").c_str(), train_step, &w,
                                 true, threads, true)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("train_step/" + w.name + "/probes_off_no_next_batch").c_str(),
                                 train_step, &w, false, threads, false)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
