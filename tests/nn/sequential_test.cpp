#include "actlab/nn/sequential.hpp"

#include <gtest/gtest.h>

#include "actlab/core/compute_team.hpp"
#include "actlab/nn/batch_norm.hpp"
#include "actlab/nn/linear.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "actlab/optim/optimizer.hpp"

namespace actlab {
namespace {

// 4 → Linear(6) → BatchNorm → relu → residual(batchnorm, tanh) → Linear(2)
Sequential<float> network_with_state() {
  MlpSpec spec;
  spec.inputs = 4;
  spec.outputs = 2;
  LayerSpec linear, bn, relu, block;
  linear.kind = LayerSpec::Kind::kLinear;
  linear.width = 6;
  bn.kind = LayerSpec::Kind::kNorm;
  bn.norm.kind = NormKind::kBatchNorm;
  relu.kind = LayerSpec::Kind::kActivation;
  relu.activation = {"relu", {}};
  block.kind = LayerSpec::Kind::kResidual;
  block.norm.kind = NormKind::kBatchNorm;
  block.activation = {"tanh", {}};
  spec.layers = std::vector<LayerSpec>{linear, bn, relu, block};
  return build_mlp<float>(spec);
}

Matrix<float> batch(std::uint64_t seed, std::size_t rows = 8) {
  Matrix<float> x(rows, 4);
  Rng rng(seed);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<float>(rng.normal(1.0, 2.0));
  return x;
}

TEST(Sequential, StateBuffersAreNamedAndOutsideTheParameters) {
  Sequential<float> net = network_with_state();
  std::vector<std::string> names;
  std::size_t total = 0;
  for (auto& [name, span] : net.state_buffers()) {
    names.push_back(name);
    EXPECT_EQ(span.size(), 6u) << name;
    total += span.size();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"1.batchnorm.running_mean", "1.batchnorm.running_var",
                                             "3.residual.norm.running_mean",
                                             "3.residual.norm.running_var"}));
  EXPECT_EQ(net.state().size(), total);
  // The parameters and their gradients hold no state: the same count, and no running_* names.
  EXPECT_EQ(net.parameters().size(), net.gradients().size());
  for (const auto& p : net.named_parameters())
    EXPECT_EQ(p.tensor.find("running"), std::string::npos) << p.name;
  EXPECT_EQ(net.named_state()[2].layer_index, 3u);
  EXPECT_EQ(net.named_state()[2].tensor, "norm.running_mean");
}

// A training forward moves the running statistics and nothing else; an optimizer step moves the
// parameters and not the running statistics; an evaluation forward moves neither.
TEST(Sequential, OnlyTrainingForwardsChangeTheState) {
  Sequential<float> net = network_with_state();
  Rng rng(3);
  net.initialize(rng);
  const std::vector<float> state0(net.state().begin(), net.state().end());
  const std::vector<float> params0(net.parameters().begin(), net.parameters().end());
  const Matrix<float> x = batch(7);
  net.forward(x.view(), {.training = false});
  EXPECT_EQ(std::vector<float>(net.state().begin(), net.state().end()), state0);
  net.forward(x.view(), {.training = true, .rng = &rng});
  EXPECT_NE(std::vector<float>(net.state().begin(), net.state().end()), state0);
  EXPECT_EQ(std::vector<float>(net.parameters().begin(), net.parameters().end()), params0);

  const std::vector<float> state1(net.state().begin(), net.state().end());
  Matrix<float> dlogits(8, 2);
  dlogits.fill(0.1f);
  net.zero_grad();
  net.backward(dlogits.view());
  OptimizerConfig sgd;
  auto optimizer = make_optimizer(sgd, net.parameters().size());
  optimizer->step(net.parameters(), net.gradients(), 0.1);
  EXPECT_EQ(std::vector<float>(net.state().begin(), net.state().end()), state1);
  EXPECT_NE(std::vector<float>(net.parameters().begin(), net.parameters().end()), params0);
}

// What a checkpoint needs: parameters() and state_buffers() copied into a freshly built network
// give bit-identical evaluation outputs; parameters alone do not (the running statistics differ).
TEST(Sequential, ParametersAndStateBuffersRestoreTheModel) {
  Sequential<float> trained = network_with_state();
  Rng rng(1);
  trained.initialize(rng);
  for (std::uint64_t s = 0; s < 5; ++s) {
    const Matrix<float> x = batch(100 + s);
    trained.forward(x.view(), {.training = true, .rng = &rng});
  }
  const Matrix<float> probe = batch(42, 5);
  const auto expected = trained.forward(probe.view(), {.training = false});
  const std::vector<float> want(expected.data, expected.data + expected.size());

  Sequential<float> restored = network_with_state();
  Rng other(2);
  restored.initialize(other);
  std::copy(trained.parameters().begin(), trained.parameters().end(),
            restored.parameters().begin());
  const auto without_state = restored.forward(probe.view(), {.training = false});
  EXPECT_NE(std::vector<float>(without_state.data, without_state.data + without_state.size()),
            want);
  auto saved = trained.state_buffers();
  auto fresh = restored.state_buffers();
  ASSERT_EQ(saved.size(), fresh.size());
  for (std::size_t b = 0; b < saved.size(); ++b) {
    ASSERT_EQ(saved[b].first, fresh[b].first);
    std::copy(saved[b].second.begin(), saved[b].second.end(), fresh[b].second.begin());
  }
  const auto got = restored.forward(probe.view(), {.training = false});
  EXPECT_EQ(std::vector<float>(got.data, got.data + got.size()), want);
}

TEST(Sequential, NetworksWithoutStateHaveAnEmptyStateBuffer) {
  Sequential<float> net;
  net.add(std::make_unique<Linear<float>>(3, 2));
  net.finalize();
  EXPECT_TRUE(net.state().empty());
  EXPECT_TRUE(net.state_buffers().empty());
  EXPECT_EQ(net.layer_depth(0), 0u);  // added without a depth
}

}  // namespace
}  // namespace actlab
