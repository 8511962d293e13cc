#include "actlab/nn/residual_block.hpp"

#include <gtest/gtest.h>

#include "support/gradient_check.hpp"
#include "support/layer_buffers.hpp"
#include "support/layer_golden.hpp"

namespace actlab {
namespace {

NormSpec norm_of(const std::string& name) {
  NormSpec spec;
  spec.kind = name == "layernorm"   ? NormKind::kLayerNorm
              : name == "batchnorm" ? NormKind::kBatchNorm
                                    : NormKind::kNone;
  return spec;
}

// x + Linear(f(Norm(x))) against the same composition of torch.nn modules (LayerNorm/BatchNorm1d,
// GELU/ReLU/Tanh, Linear) in float64: y, dx, every parameter gradient and batchnorm's running
// statistics, in training and (batchnorm) evaluation.
TEST(ResidualBlock, MatchesTheTorchCompositionInFloat64) {
  const auto cases = test::read_layer_golden("residual");
  ASSERT_EQ(cases.size(), 4u);
  for (const auto& c : cases) {
    ResidualBlock<double> block(c.at("x").cols(), norm_of(c.options.at("norm")),
                                {c.options.at("activation"), {}});
    test::expect_layer_matches<double>(block, c, 1e-12);
  }
}

TEST(ResidualBlock, MatchesTheTorchCompositionInFloat32) {
  for (const auto& c : test::read_layer_golden("residual")) {
    ResidualBlock<float> block(c.at("x").cols(), norm_of(c.options.at("norm")),
                               {c.options.at("activation"), {}});
    test::expect_layer_matches<float>(block, c, 2e-5);
  }
}

struct BlockCase {
  std::string norm;
  ActivationConfig activation;
  bool training;
};

// Every part's backward chained, and the skip connection: central differences with each norm,
// a learnable activation (PReLU per unit: "activation.alpha"), a gated one (GLU: the Linear maps
// width/2 back to width) and a stochastic one (RReLU in training; the harness re-seeds it).
TEST(ResidualBlock, FiniteDifferences) {
  const std::vector<BlockCase> cases = {
      {"layernorm", {"gelu", {}}, true},  {"batchnorm", {"tanh", {}}, true},
      {"batchnorm", {"silu", {}}, false}, {"none", {"prelu", {{"per_unit", 1.0}}}, true},
      {"layernorm", {"glu", {}}, true},   {"none", {"rrelu", {}}, true},
  };
  for (const auto& c : cases) {
    ResidualBlock<double> block(6, norm_of(c.norm), c.activation);
    // Away from the kinks of PReLU/RReLU at 0 (with no norm, the activation sees x itself).
    auto input = [](Rng& rng) {
      const double v = rng.normal();
      return v + (v >= 0 ? 0.1 : -0.1);
    };
    const auto result =
        test::check_layer_gradients(block, {.batch = 5, .training = c.training, .input = input});
    EXPECT_LT(result.max_input_error, 1e-7) << c.norm << " " << c.activation.name;
    EXPECT_LT(result.max_parameter_error, 1e-7) << c.norm << " " << c.activation.name;
  }
}

TEST(ResidualBlock, TensorsAreNamedAfterTheirParts) {
  ResidualBlock<float> block(4, norm_of("batchnorm"), {"prelu", {}});
  std::vector<std::string> names;
  for (const auto& s : block.parameter_shapes())
    names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"norm.weight", "norm.bias", "activation.alpha",
                                             "linear.weight", "linear.bias"}));
  ASSERT_EQ(block.state_shapes().size(), 2u);
  EXPECT_EQ(block.state_shapes()[0].name, "norm.running_mean");
  EXPECT_EQ(block.state_shapes()[1].name, "norm.running_var");
  EXPECT_TRUE(ResidualBlock<float>(4, norm_of("layernorm"), {"relu", {}}).state_shapes().empty());
  // GLU halves 4 units to 2; the Linear maps them back to 4.
  ResidualBlock<float> gated(4, norm_of("none"), {"glu", {}});
  EXPECT_EQ(gated.linear().input_size(), 2u);
  EXPECT_EQ(gated.output_size(), 4u);
}

// With the Linear zeroed the branch contributes nothing: y = x and dx = dy exactly.
TEST(ResidualBlock, AZeroBranchIsTheIdentity) {
  ResidualBlock<float> block(3, norm_of("layernorm"), {"gelu", {}});
  test::LayerBuffers<float> buffers(block);
  Rng rng(4);
  block.initialize(rng);
  buffers.value("linear.weight").fill(0.0f);
  buffers.value("linear.bias").fill(0.0f);
  Matrix<float> x(2, 3), y(2, 3), dy(2, 3), dx(2, 3);
  for (std::size_t i = 0; i < 6; ++i) {
    x.data()[i] = 0.7f * static_cast<float>(i) - 1.1f;
    dy.data()[i] = static_cast<float>(i) - 2.0f;
  }
  block.forward(x.view(), y.view(), {.training = true, .rng = &rng});
  block.backward(dy.view(), dx.view());
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(y.data()[i], x.data()[i]);
    EXPECT_EQ(dx.data()[i], dy.data()[i]);
  }
  // The branch's own Linear still gets its gradient: dW = dyᵀ f(LayerNorm(x)) ≠ 0.
  double norm = 0;
  for (std::size_t i = 0; i < 9; ++i)
    norm += std::abs(buffers.grad("linear.weight").data()[i]);
  EXPECT_GT(norm, 0.0);
}

}  // namespace
}  // namespace actlab
