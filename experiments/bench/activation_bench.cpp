// Forward and backward time per element of every registered activation on 1M floats
// (1024 rows × 1024 columns), through the layer a network uses; and, for the activations whose
// rules call exp, tanh, erf or log1p, a textbook scalar loop (scalar_baselines.cpp) to measure
// what the vectorised maths path buys; and the formula forms of mish, gelu_sigmoid and relu
// (nn/formula/), compiled from the text a config would hold, beside their native versions.
// Counter `per_element` is seconds per input element (shown as e.g. "1.2n" = 1.2 ns).
//
//   build/release/bin/activation_bench --benchmark_out=bench.json --benchmark_out_format=json
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "actlab/core/blas_kernels.hpp"
#include "actlab/core/matrix.hpp"
#include "actlab/core/rng.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/formula/formula_activation.hpp"
#include "scalar_baselines.hpp"

namespace actlab::bench {
namespace {

constexpr std::size_t kRows = 1024, kCols = 1024, kElements = kRows * kCols;

// Inputs uniform on [-6, 6]: both sides of every kink and the curved part of every smooth rule.
Matrix<float> random_inputs(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Matrix<float> m(rows, cols);
  Rng rng(seed);
  for (std::size_t i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(rng.uniform(-6, 6));
  return m;
}

void set_counters(benchmark::State& state) {
  state.counters["per_element"] = benchmark::Counter(
      static_cast<double>(kElements),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The activation layer with its parameters (PReLU's slope) bound and initialised, and buffers for
// one batch of 1024 × 1024 inputs. Training mode: rrelu and gumbel_softmax draw their noise.
struct Fixture {
  std::unique_ptr<Layer<float>> layer;
  Matrix<float> params, grads, x, y, dy, dx;
  Rng rng{7};

  explicit Fixture(const ActivationConfig& config)
      : layer(make_activation_layer<float>(config, kCols)) {
    std::size_t total = 0;
    for (const auto& s : layer->parameter_shapes())
      total += s.rows * s.cols;
    params.resize(1, total + 1);
    grads.resize(1, total + 1);
    std::vector<MatrixView<float>> values, gradients;
    std::size_t offset = 0;
    for (const auto& s : layer->parameter_shapes()) {
      values.push_back({params.data() + offset, s.rows, s.cols});
      gradients.push_back({grads.data() + offset, s.rows, s.cols});
      offset += s.rows * s.cols;
    }
    layer->bind_parameters(values, gradients);
    layer->initialize(rng);
    x = random_inputs(kRows, kCols, 1);
    y.resize(kRows, layer->output_size());
    dy = random_inputs(kRows, layer->output_size(), 2);
    dx.resize(kRows, kCols);
  }
  void forward() { layer->forward(x.view(), y.view(), {.training = true, .rng = &rng}); }
};

void layer_forward(benchmark::State& state, const ActivationConfig& name) {
  Fixture f(name);
  for (auto _ : state) {
    f.forward();
    benchmark::DoNotOptimize(f.y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void layer_backward(benchmark::State& state, const ActivationConfig& name) {
  Fixture f(name);
  f.forward();
  for (auto _ : state) {
    f.layer->backward(f.dy.view(), f.dx.view());
    benchmark::DoNotOptimize(f.dx.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void scalar_forward(benchmark::State& state, const ScalarBaseline& baseline) {
  Matrix<float> x = random_inputs(kRows, kCols, 1), y(kRows, kCols);
  for (auto _ : state) {
    baseline.forward(x.data(), y.data(), kElements);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void scalar_backward(benchmark::State& state, const ScalarBaseline& baseline) {
  Matrix<float> x = random_inputs(kRows, kCols, 1), y(kRows, kCols), dx(kRows, kCols);
  Matrix<float> dy = random_inputs(kRows, kCols, 2);
  baseline.forward(x.data(), y.data(), kElements);
  for (auto _ : state) {
    baseline.backward(dy.data(), x.data(), y.data(), dx.data(), kElements);
    benchmark::DoNotOptimize(dx.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

// The formula forms measured against their native versions, as a config would write them.
const std::vector<std::pair<std::string, std::string>>& formula_forms() {
  static const std::vector<std::pair<std::string, std::string>> forms = {
      {"mish", "x * tanh(softplus(x))"},
      {"gelu_sigmoid", "x * sigmoid(1.702 * x)"},
      {"relu", "where(x > 0, x, 0)"}};
  return forms;
}

ActivationConfig formula_config(const std::string& name, const std::string& formula) {
  ActivationConfig config;
  config.name = "formula_" + name;
  config.formula = std::make_shared<FormulaSource>(
      FormulaSource{FormulaDefinition{config.name, formula, {}, {}, false}, {}});
  return config;
}

}  // namespace
}  // namespace actlab::bench

int main(int argc, char** argv) {
  actlab::restart_with_better_openblas_kernels(argv);
  using namespace actlab;
  for (const std::string& name : activation_names()) {
    const ActivationConfig config{name, {}, nullptr};
    benchmark::RegisterBenchmark(("forward/" + name).c_str(), bench::layer_forward, config)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("backward/" + name).c_str(), bench::layer_backward, config)
        ->Unit(benchmark::kMillisecond);
  }
  for (const auto& [name, formula] : bench::formula_forms()) {
    const ActivationConfig config = bench::formula_config(name, formula);
    benchmark::RegisterBenchmark(("forward/" + config.name).c_str(), bench::layer_forward, config)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("backward/" + config.name).c_str(), bench::layer_backward, config)
        ->Unit(benchmark::kMillisecond);
  }
  static const std::vector<bench::ScalarBaseline> baselines = bench::scalar_baselines();
  for (const bench::ScalarBaseline& baseline : baselines) {
    const std::string name(baseline.name);
    benchmark::RegisterBenchmark(("scalar_forward/" + name).c_str(), bench::scalar_forward,
                                 baseline)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("scalar_backward/" + name).c_str(), bench::scalar_backward,
                                 baseline)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
