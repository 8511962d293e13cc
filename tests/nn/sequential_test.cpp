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

// A step by rows (each team member its own rows through every layer, the members' gradient shares
// added at the end) computes what forward, the loss and backward compute, up to the order of the
// sums, and repeats bit for bit; networks with layers that cannot run by rows say so.
TEST(Sequential, AStepByRowsMatchesForwardLossBackwardAndRepeats) {
  MlpSpec spec;
  spec.inputs = 12;
  spec.hidden = {40, 24};
  spec.outputs = 5;
  spec.activation = {"tanh", {}};
  Sequential<double> network = build_mlp<double>(spec);
  Rng rng(3);
  network.initialize(rng);
  const std::size_t rows = 37;  // does not divide between the members evenly
  Matrix<double> x(rows, spec.inputs);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = rng.normal(0.0, 1.0);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t r = 0; r < rows; ++r)
    labels[r] = static_cast<std::int32_t>(r % spec.outputs);
  ASSERT_TRUE(network.runs_by_rows());

  Matrix<double> dlogits(rows, spec.outputs);
  const MatrixView<double> logits = network.forward(x.view(), {.training = true});
  const LossResult whole = softmax_cross_entropy<double>(logits, labels, 0.0, dlogits.view());
  network.backward(dlogits.view());
  const std::vector<double> expected(network.gradients().begin(), network.gradients().end());

  for (int members : {1, 2, 3}) {
    SCOPED_TRACE(testing::Message() << members << " members");
    ComputeTeam team(members);
    const ComputeTeam::Scope scope(&team);
    std::vector<std::vector<double>> runs;
    for (int repeat = 0; repeat < 2; ++repeat) {
      std::vector<LossResult> losses(static_cast<std::size_t>(members));
      network.forward_backward_by_rows(
          x.view(), dlogits.view(), {.training = true},
          [&](std::size_t member, std::size_t first, std::size_t last,
              MatrixView<const double> out) {
            losses[member] = softmax_cross_entropy<double>(
                out.row_range(first, last - first),
                std::span<const std::int32_t>(labels).subspan(first, last - first), 0.0,
                dlogits.view().row_range(first, last - first), rows);
          });
      network.add_gradient_shares();
      EXPECT_TRUE(network.take_gradient_shares().empty());  // added: none left to take
      double loss = 0;
      std::size_t correct = 0;
      for (const LossResult& part : losses) {
        loss += part.loss;
        correct += part.correct;
      }
      EXPECT_NEAR(loss, whole.loss, 1e-12);
      EXPECT_EQ(correct, whole.correct);
      runs.emplace_back(network.gradients().begin(), network.gradients().end());
      for (std::size_t i = 0; i < expected.size(); ++i)
        ASSERT_NEAR(runs.back()[i], expected[i], 1e-12 * (1 + std::abs(expected[i]))) << i;
    }
    EXPECT_EQ(runs[0], runs[1]);
  }

  EXPECT_FALSE(network_with_state().runs_by_rows());  // batchnorm needs the whole batch
  MlpSpec prelu = spec;
  prelu.activation = {"prelu", {}};  // a learnable slope: its gradient is not split by rows
  EXPECT_FALSE(build_mlp<double>(prelu).runs_by_rows());
}

}  // namespace
}  // namespace actlab
