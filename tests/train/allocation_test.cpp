// A training step allocates nothing once warmed up: every buffer is planned per model and batch
// size. This program counts calls to operator new (support/allocation_tracker.cpp replaces it here
// only) across many real Trainer steps, for every optimizer and clipping mode and for activations
// with and without learnable parameters, noise or gates; and, alone, an activation's training
// forward and a first probe measurement.
#include <gtest/gtest.h>

#include <numeric>

#include "actlab/core/compute_team.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/probes/probes.hpp"
#include "actlab/train/trainer.hpp"
#include "support/allocation_tracker.hpp"
#include "support/golden.hpp"
#include "support/sanitizers.hpp"

namespace actlab {
namespace {

// Under AddressSanitizer the sanitizer's own aligned operator new may serve Matrix's storage, and
// the tracker then does not see it.
constexpr bool kAlignedNewTracked = !test::kAddressSanitizer;

ExperimentConfig tiny_config() {
  ExperimentConfig c;
  c.name = "allocation";
  c.seed = 3;
  c.threads = 1;
  c.data.dataset = "idx";
  c.data.path = test::test_path("../data/fixtures/tiny");
  c.data.validation_size = 100;
  c.model.hidden = {32, 32};
  c.model.activation = {"relu", {}};
  c.optimizer.name = "sgd";
  c.optimizer.learning_rate = 0.01;
  c.optimizer.momentum = 0.9;
  c.train.batch_size = 32;
  c.train.eval_batch_size = 64;
  c.probes.enabled = false;
  return c;
}

// Runs steps [first, last) on consecutive batches of the training set, each step given the next
// batch as Trainer::run gives it (on a team, gathered in the members' idle time); returns the
// allocations.
std::size_t allocations_during_steps(Trainer& trainer, const Dataset& train, std::size_t first,
                                     std::size_t last) {
  std::vector<std::uint32_t> indices(train.size());
  std::iota(indices.begin(), indices.end(), std::uint32_t{0});
  const std::size_t batch = trainer.config().train.batch_size;
  const std::size_t batches = train.size() / batch;
  test::reset_allocation_count();
  for (std::size_t step = first; step < last; ++step) {
    const std::size_t b = step % batches;
    const std::size_t next = (step + 1) % batches;
    const StepResult result = trainer.train_step({indices.data() + b * batch, batch}, step, 1, 0.01,
                                                 {indices.data() + next * batch, batch});
    if (!result.finite) ADD_FAILURE() << "step " << step << " diverged";
  }
  return test::allocation_count();
}

TEST(TrainingStepAllocations, TheCounterSeesAllocations) {
  volatile std::size_t n = 10;
  test::reset_allocation_count();
  std::vector<float> v(n);
  Matrix<float> m(n, n);  // over-aligned storage
  // Let the pointers escape: otherwise clang may elide a new/delete pair it sees entirely.
  asm volatile("" : : "g"(v.data()), "g"(m.data()) : "memory");
  if (kAlignedNewTracked) {
    EXPECT_EQ(test::allocation_count(), 2u);
  } else {
    EXPECT_GE(test::allocation_count(), 1u);
  }
  EXPECT_EQ(v.size() + m.size(), 110u);
}

TEST(TrainingStepAllocations, NoneAfterWarmUpWithoutProbes) {
  struct Case {
    const char* activation;
    const char* optimizer;
    ClipMode clip;
  };
  for (const Case& c :
       {Case{"relu", "sgd", ClipMode::kNone}, Case{"gelu", "adam", ClipMode::kNorm},
        Case{"tanh", "adamw", ClipMode::kValue}, Case{"relu", "sgd", ClipMode::kLayerNorm},
        Case{"prelu", "sgd", ClipMode::kNone}, Case{"rrelu", "adam", ClipMode::kNone},
        Case{"swiglu", "sgd", ClipMode::kNorm}, Case{"mish", "sgd", ClipMode::kNone}}) {
    SCOPED_TRACE(std::string(c.activation) + " " + c.optimizer + " clip " +
                 std::string(clip_mode_name(c.clip)));
    ExperimentConfig config = tiny_config();
    config.model.activation = {c.activation, {}};
    config.optimizer.name = c.optimizer;
    if (config.optimizer.name != "sgd") config.optimizer.momentum = 0;
    config.clip.mode = c.clip;
    const DataSplits data = load_data(config.data, config.seed);
    Trainer trainer(config, data);
    allocations_during_steps(trainer, data.train, 0, 2);  // warm-up: first-use buffers
    EXPECT_EQ(allocations_during_steps(trainer, data.train, 2, 60), 0u);
  }
}

// On a compute team of 3 (every pass split, workers woken): still nothing, with and without
// clipping.
TEST(TrainingStepAllocations, NoneAfterWarmUpOnAComputeTeam) {
  // 256 wide: every GEMM split between the threads; 96 wide: steps by rows.
  for (const std::size_t width : {256, 96})
    for (const ClipMode clip : {ClipMode::kNone, ClipMode::kNorm}) {
      ExperimentConfig config = tiny_config();
      config.threads = 3;
      config.model.hidden = {width, width};
      config.model.activation = {"gelu", {}};
      config.train.batch_size = 64;
      config.clip.mode = clip;
      const DataSplits data = load_data(config.data, config.seed);
      Trainer trainer(config, data);
      allocations_during_steps(trainer, data.train, 0, 2);  // warm-up: first-use buffers
      EXPECT_EQ(allocations_during_steps(trainer, data.train, 2, 30), 0u)
          << clip_mode_name(clip) << ", width " << width;
    }
}

// The layers of model.layers: dropout (its mask), batchnorm (running statistics, column sums),
// layernorm, residual blocks with either norm, trained with AdaBelief.
TEST(TrainingStepAllocations, NoneAfterWarmUpWithAnExplicitLayerList) {
  ExperimentConfig config = tiny_config();
  YAML::Node root;
  root["model"]["layers"] = YAML::Load(
      "[{linear: 32}, batchnorm, relu, {dropout: 0.3}, {residual: {activation: gelu}}, "
      "{residual: {activation: swiglu, norm: batchnorm}}, layernorm]");
  config.model.layers = parse_config(root, "test").model.layers;
  config.optimizer.name = "adabelief";
  config.optimizer.momentum = 0;
  const DataSplits data = load_data(config.data, config.seed);
  Trainer trainer(config, data);
  allocations_during_steps(trainer, data.train, 0, 2);  // warm-up: first-use buffers
  EXPECT_EQ(allocations_during_steps(trainer, data.train, 2, 60), 0u);
}

TEST(TrainingStepAllocations, WithProbesOnlyProbeStepsAllocate) {
  ExperimentConfig config = tiny_config();
  config.probes.enabled = true;
  config.probes.probe_set_size = 200;
  config.probes.every_steps = 100;
  const DataSplits data = load_data(config.data, config.seed);
  Trainer trainer(config, data);
  allocations_during_steps(trainer, data.train, 0, 2);  // step 0 probes
  EXPECT_EQ(allocations_during_steps(trainer, data.train, 2, 100), 0u);
  // The probe step appends its rows to the probe table (and so does allocate: the counter works).
  EXPECT_GT(allocations_during_steps(trainer, data.train, 100, 101), 0u);
  EXPECT_EQ(allocations_during_steps(trainer, data.train, 101, 200), 0u);
}

// A training forward keeps f' only where it costs a transcendental: ReLU's or tanh's is recomputed
// in backward from the kept x and y (the same values, bit for bit), GELU's is kept.
TEST(ActivationAllocations, ACheapDerivativeIsRecomputedNotKept) {
  constexpr std::size_t kRows = 64, kWidth = 96;
  for (const auto& [name, keeps] : {std::pair{"relu", false},
                                    {"tanh", false},
                                    {"sigmoid", false},
                                    {"hardswish", false},
                                    {"gelu", true},
                                    {"elu", true}}) {
    SCOPED_TRACE(name);
    const std::unique_ptr<Layer<float>> layer = make_activation_layer<float>({name, {}}, kWidth);
    Matrix<float> x(kRows, kWidth), y(kRows, kWidth), dy(kRows, kWidth), dx(kRows, kWidth);
    Rng rng(7);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x.data()[i] = static_cast<float>(rng.uniform(-4.0, 4.0));
      dy.data()[i] = static_cast<float>(rng.uniform(-1.0, 1.0));
    }
    test::reset_largest_allocation();
    layer->forward(x.view(), y.view(), {.training = true, .rng = &rng});
    if (!keeps) {
      EXPECT_EQ(test::largest_allocation(), 0u);
    } else if (kAlignedNewTracked) {
      EXPECT_GE(test::largest_allocation(), kRows * kWidth * sizeof(float));
    }
    if (keeps) continue;  // a kept f' comes from another loop, which may contract differently
    layer->backward(dy.view(), dx.view());
    Matrix<float> values(kRows, kWidth), slopes(kRows, kWidth);
    ASSERT_TRUE(layer->elementwise_derivative(x.view(), values.view(), slopes.view()));
    for (std::size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(dx.data()[i], dy.data()[i] * slopes.data()[i]) << "element " << i;
  }
}

// A probe measurement's buffers are made with the probes, for the team that will measure: the
// first measurement allocates nothing of the size of a layer's values on the probe set (a few
// small vectors and its table rows only).
TEST(ProbeMeasurementAllocations, TheFirstFindsItsBuffersMade) {
  ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  constexpr std::size_t kProbeSet = 400, kWidth = 64;
  for (const char* activation : {"relu", "gelu", "tanh"})
    for (const int members : {1, 2}) {
      MlpSpec spec;
      spec.inputs = data.train.features;
      spec.hidden = {kWidth, kWidth};
      spec.outputs = data.train.classes;
      spec.activation = {activation, {}};
      Sequential<float> network = build_mlp<float>(spec);
      Rng rng(1);
      network.initialize(rng);
      network.plan(kProbeSet);
      ProbeConfig probe_config;
      probe_config.probe_set_size = kProbeSet;
      ComputeTeam team(members);
      Probes probes(probe_config, network, data.train, data.normalizer, 1, "allocation", &team);
      test::reset_largest_allocation();
      probes.measure(0, 0);
      EXPECT_LT(test::largest_allocation(), kProbeSet * kWidth * sizeof(float) / 8)
          << activation << ", " << members << " members";
    }
}

}  // namespace
}  // namespace actlab
