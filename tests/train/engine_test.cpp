// The reference step (training_step.hpp) is the definition of a training step; the execution
// engine (engine/step_engine.hpp) must compute the same thing. Each configuration family is
// trained twice, once with each, and compared: bit for bit on one thread, where every sum runs in
// the same order, and within a stated tolerance on a team, whose split GEMMs and norms sum in
// other orders.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/gemm_engine.hpp"
#include "actlab/data/batch.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/train/engine/row_parallel_pass.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "actlab_engine_test" / name;
  std::filesystem::remove_all(dir);
  return dir;
}

// A configuration from YAML on top of a small run on the tiny IDX fixture.
ExperimentConfig config_from(const std::string& family_yaml) {
  YAML::Node root = YAML::Load(R"(
name: engine
seed: 5
data: {dataset: idx, validation_size: 100}
model: {hidden: [48, 48], activation: tanh}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 2, batch_size: 32, eval_batch_size: 64}
probes: {every_steps: 7, probe_set_size: 100}
)");
  root["data"]["path"] = test::test_path("../data/fixtures/tiny");
  const YAML::Node family = YAML::Load(family_yaml);
  for (const auto& section : family) {
    const std::string key = section.first.as<std::string>();
    if (section.second.IsMap())
      for (const auto& entry : section.second)
        root[key][entry.first.as<std::string>()] = entry.second;
    else
      root[key] = section.second;
  }
  if (root["model"]["layers"]) root["model"].remove("hidden");  // the list replaces the widths
  return parse_config(root, "engine_test");
}

struct Outcome {
  std::vector<nlohmann::json> metrics;  // metrics.jsonl without the timing fields
  std::string probes_csv;
  std::vector<float> parameters;
};

Outcome train(const ExperimentConfig& config, StepMode mode, const std::string& name) {
  const DataSplits data = load_data(config.data, config.seed);
  RunOutput output(fresh_dir(name));
  Trainer trainer(config, data, mode);
  const RunResult result = trainer.run(&output);
  EXPECT_EQ(result.status, RunStatus::kCompleted) << result.message;
  Outcome outcome;
  std::ifstream metrics(output.path("metrics.jsonl"));
  for (std::string line; std::getline(metrics, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    j.erase("seconds");
    j.erase("samples_per_second");
    outcome.metrics.push_back(j);
  }
  std::ifstream probes(output.path("probes.csv"));
  outcome.probes_csv.assign(std::istreambuf_iterator<char>(probes), {});
  const auto p = trainer.network().parameters();
  outcome.parameters.assign(p.begin(), p.end());
  return outcome;
}

// Every number of two metrics lines within `tolerance`, relative (absolute below 1).
void expect_close(const nlohmann::json& a, const nlohmann::json& b, double tolerance) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [key, value] : a.items()) {
    const nlohmann::json& other = b.at(key);
    if (value.is_number()) {
      const double x = value.get<double>(), y = other.get<double>();
      EXPECT_NEAR(x, y, tolerance * std::max(1.0, std::abs(y))) << key;
    } else if (value.is_array()) {
      ASSERT_EQ(value.size(), other.size()) << key;
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_number()) continue;
        EXPECT_NEAR(value[i].get<double>(), other[i].get<double>(),
                    tolerance * std::max(1.0, std::abs(other[i].get<double>())))
            << key << "[" << i << "]";
      }
    } else {
      EXPECT_EQ(value, other) << key;
    }
  }
}

struct Family {
  const char* name;
  const char* yaml;
};

class EngineEqualsReferenceStep : public ::testing::TestWithParam<Family> {};

TEST_P(EngineEqualsReferenceStep, BitForBitOnOneThreadAndCloseOnTwo) {
  const Family family = GetParam();
  for (const int threads : {1, 2}) {
    SCOPED_TRACE(testing::Message() << family.name << ", " << threads << " threads");
    ExperimentConfig config = config_from(family.yaml);
    config.threads = threads;
    const std::string name = std::string(family.name) + "_" + std::to_string(threads);
    const Outcome engine = train(config, StepMode::kEngine, name + "_engine");
    const Outcome reference = train(config, StepMode::kReference, name + "_reference");
    ASSERT_EQ(engine.metrics.size(), reference.metrics.size());
    ASSERT_FALSE(engine.metrics.empty());
    if (threads == 1) {
      EXPECT_EQ(engine.metrics, reference.metrics);
      EXPECT_EQ(engine.probes_csv, reference.probes_csv);
      EXPECT_EQ(engine.parameters, reference.parameters);
      continue;
    }
    // A team sums the split GEMMs, the loss and the norms in other orders: float rounding, grown
    // over two epochs of training, stays within 1e-3 relative on this data.
    constexpr double kTolerance = 1e-3;
    for (std::size_t e = 0; e < engine.metrics.size(); ++e)
      expect_close(engine.metrics[e], reference.metrics[e], kTolerance);
    ASSERT_EQ(engine.parameters.size(), reference.parameters.size());
    for (std::size_t i = 0; i < engine.parameters.size(); ++i)
      ASSERT_NEAR(engine.parameters[i], reference.parameters[i],
                  kTolerance * std::max(1.0f, std::abs(reference.parameters[i])))
          << "parameter " << i;
  }
}

// Each family exercises one of the engine's paths against the reference: the fused
// norm-and-update (no clipping), each clip mode, one logit (binary cross-entropy), layers with
// state, randomness or parameters of their own, learnable activations, other optimizers, and the
// row-parallel pass (narrow networks of RowParallelLayers on a team).
INSTANTIATE_TEST_SUITE_P(
    Families, EngineEqualsReferenceStep,
    ::testing::Values(Family{"no_clip_sgd", "{}"},
                      Family{"clip_norm", "clip: {mode: norm, max_norm: 0.5}"},
                      Family{"clip_value", "clip: {mode: value, value: 0.01}"},
                      Family{"clip_layer_norm",
                             "clip: {mode: layer_norm, max_norm: 0.2, norm_type: inf}"},
                      Family{"adam_wide",
                             "{optimizer: {name: adam, learning_rate: 0.002, momentum: 0}, "
                             "model: {hidden: [256, 256], activation: relu}}"},
                      Family{"one_logit_xor",
                             "{data: {dataset: xor, points: 300}, "
                             "model: {hidden: [16, 16], activation: tanh}}"},
                      Family{"one_logit_spiral_clipped",
                             "{data: {dataset: spiral, points: 300}, "
                             "clip: {mode: norm, max_norm: 0.1}}"},
                      Family{"norm_dropout_residual",
                             "model: {layers: [{linear: 32}, batchnorm, relu, {dropout: 0.2}, "
                             "{residual: {activation: gelu, norm: layernorm}}, layernorm]}"},
                      Family{"learnable_prelu", "model: {activation: prelu}"},
                      Family{"learnable_swish_adamw",
                             "{model: {activation: {name: swish, learnable: true}}, "
                             "optimizer: {name: adamw, learning_rate: 0.003, momentum: 0}}"}),
    [](const ::testing::TestParamInfo<Family>& family) { return std::string(family.param.name); });

// The row-parallel pass alone: forward, loss and backward by rows give the loss and gradients of
// the whole-batch pass up to the order of the sums, and repeat bit for bit.
TEST(RowParallelPass, MatchesForwardLossBackwardAndRepeats) {
  MlpSpec spec;
  spec.inputs = 12;
  spec.hidden = {40, 24};
  spec.outputs = 5;
  spec.activation = {"tanh", {}};
  Sequential<float> network = build_mlp<float>(spec);
  Rng rng(3);
  network.initialize(rng);
  const std::size_t rows = 37;  // does not divide between the members evenly
  network.plan(rows);
  Matrix<float> x(rows, spec.inputs);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<float>(rng.normal(0.0, 1.0));
  std::vector<std::int32_t> labels(rows);
  for (std::size_t r = 0; r < rows; ++r)
    labels[r] = static_cast<std::int32_t>(r % spec.outputs);
  ASSERT_TRUE(RowParallelPass::supports(network));

  Matrix<float> dlogits(rows, spec.outputs);
  network.zero_grad();
  const MatrixView<float> logits = network.forward(x.view(), {.training = true});
  const LossResult whole = softmax_cross_entropy<float>(logits, labels, 0.0, dlogits.view());
  network.backward(dlogits.view());
  const std::vector<float> expected(network.gradients().begin(), network.gradients().end());

  for (int members : {1, 2, 3}) {
    SCOPED_TRACE(testing::Message() << members << " members");
    ComputeTeam team(members);
    RowParallelPass pass(network, team);
    std::vector<std::vector<float>> runs;
    for (int repeat = 0; repeat < 2; ++repeat) {
      const LossResult loss = pass.run({x.view(), labels}, 0.0, dlogits.view());
      EXPECT_EQ(pass.shares().size(), static_cast<std::size_t>(members - 1));
      pass.add_shares();
      EXPECT_TRUE(pass.shares().empty());  // added: none left
      EXPECT_NEAR(loss.loss, whole.loss, 1e-6);
      EXPECT_EQ(loss.correct, whole.correct);
      runs.emplace_back(network.gradients().begin(), network.gradients().end());
      for (std::size_t i = 0; i < expected.size(); ++i)
        ASSERT_NEAR(runs.back()[i], expected[i], 1e-5f * (1 + std::abs(expected[i]))) << i;
    }
    EXPECT_EQ(runs[0], runs[1]);
  }
}

TEST(RowParallelPass, RefusesLayersThatCannotRunByRows) {
  MlpSpec spec;
  spec.inputs = 4;
  spec.hidden = {8};
  spec.outputs = 3;
  spec.activation = {"prelu", {}};  // a learnable slope: its gradient is not split by rows
  EXPECT_FALSE(RowParallelPass::supports(build_mlp<float>(spec)));
  spec.activation = {"relu", {}};
  EXPECT_TRUE(RowParallelPass::supports(build_mlp<float>(spec)));
  spec.outputs = 1;  // one logit: binary cross-entropy, not the softmax the pass computes
  EXPECT_FALSE(RowParallelPass::supports(build_mlp<float>(spec)));
  MlpSpec with_norm = spec;
  with_norm.outputs = 3;
  LayerSpec linear, norm;
  linear.kind = LayerSpec::Kind::kLinear;
  linear.width = 8;
  norm.kind = LayerSpec::Kind::kNorm;
  norm.norm.kind = NormKind::kBatchNorm;
  with_norm.layers = std::vector<LayerSpec>{linear, norm};
  EXPECT_FALSE(RowParallelPass::supports(build_mlp<float>(with_norm)));  // needs the whole batch
}

// train.epochs 0 on two-class data (one logit): the first batch's loss is the binary
// cross-entropy of the initial network on the batch a training run's step 0 would use, computed
// here independently in double; a cross-entropy is never negative.
// The GEMM engines (core/gemm_engine.hpp) round differently, so training on libxsmm's kernels
// follows OpenBLAS's trajectory to float rounding, not bit for bit; on one engine and thread
// count a run repeats bit for bit.
TEST(GemmEngineTrajectories, LibxsmmFollowsOpenBlasAndRepeatsItself) {
  if (!libxsmm_available()) GTEST_SKIP() << libxsmm_status();
  const GemmEnginePolicy saved = gemm_engine_policy();
  auto train_on = [](GemmEngineMode mode, const ExperimentConfig& config, const std::string& name) {
    GemmEnginePolicy policy;
    policy.mode = mode;
    set_gemm_engine_policy(policy);
    Outcome outcome = train(config, StepMode::kEngine, name);
    std::size_t on_libxsmm = 0;
    for (const auto& [shape, engine] : gemm_engines_used())
      on_libxsmm += engine == GemmEngine::kLibxsmm;
    EXPECT_EQ(on_libxsmm > 0, mode == GemmEngineMode::kLibxsmm) << name;
    return outcome;
  };
  for (const char* family : {"{}",
                             "{model: {activation: relu}, optimizer: {name: adam, "
                             "learning_rate: 0.002}}"})
    for (const int threads : {1, 2}) {
      SCOPED_TRACE(testing::Message() << family << ", " << threads << " threads");
      ExperimentConfig config = config_from(family);
      config.threads = threads;
      const std::string name = "engines_" + std::to_string(threads);
      const Outcome blas = train_on(GemmEngineMode::kOpenBlas, config, name + "_openblas");
      const Outcome xsmm = train_on(GemmEngineMode::kLibxsmm, config, name + "_libxsmm");
      const Outcome again = train_on(GemmEngineMode::kLibxsmm, config, name + "_again");
      EXPECT_EQ(xsmm.metrics, again.metrics);
      EXPECT_EQ(xsmm.parameters, again.parameters);
      ASSERT_EQ(xsmm.metrics.size(), blas.metrics.size());
      EXPECT_NE(xsmm.parameters, blas.parameters) << "the same rounding: was libxsmm used?";
      constexpr double kTolerance = 1e-3;  // as between a team and one thread above
      for (std::size_t e = 0; e < xsmm.metrics.size(); ++e)
        expect_close(xsmm.metrics[e], blas.metrics[e], kTolerance);
      for (std::size_t i = 0; i < xsmm.parameters.size(); ++i)
        ASSERT_NEAR(xsmm.parameters[i], blas.parameters[i],
                    kTolerance * std::max(1.0f, std::abs(blas.parameters[i])))
            << "parameter " << i;
    }
  set_gemm_engine_policy(saved);
}

TEST(InitOnlyRun, FirstBatchLossOnOneLogitIsTheBinaryCrossEntropy) {
  for (const char* dataset : {"xor", "spiral"}) {
    SCOPED_TRACE(dataset);
    ExperimentConfig config =
        config_from(std::string("{data: {dataset: ") + dataset +
                    ", points: 400}, model: {hidden: [16, 16], activation: tanh}, "
                    "train: {epochs: 0, batch_size: 64}}");
    const DataSplits data = load_data(config.data, config.seed);
    ASSERT_EQ(data.train.classes, 2u);
    Trainer trainer(config, data);
    const RunResult result = trainer.run();
    ASSERT_TRUE(result.initial.has_value());

    std::vector<std::uint32_t> order(data.train.size());
    epoch_order(order.size(), config.seed, 1, order);
    const std::size_t rows = std::min<std::size_t>(64, order.size());
    Matrix<float> x(rows, data.train.features);
    std::vector<std::int32_t> labels(rows);
    gather_batch(data.train, {order.data(), rows}, data.normalizer, x.view(), labels);
    const MatrixView<float> logits = trainer.network().forward(x.view(), {.training = false});
    ASSERT_EQ(logits.cols, 1u);
    double expected = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const double z = logits(r, 0), y = labels[r];
      expected += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    }
    expected /= static_cast<double>(rows);
    EXPECT_GE(result.initial->train_loss, 0.0);
    EXPECT_NEAR(result.initial->train_loss, expected, 1e-6 * expected);
  }
}

}  // namespace
}  // namespace actlab
