#include "actlab/nn/mlp.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "actlab/core/error.hpp"
#include "actlab/nn/batch_norm.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"

namespace actlab {
namespace {

LayerSpec linear(std::size_t width) {
  LayerSpec s;
  s.kind = LayerSpec::Kind::kLinear;
  s.width = width;
  return s;
}
LayerSpec activation(const std::string& name) {
  LayerSpec s;
  s.kind = LayerSpec::Kind::kActivation;
  s.activation = {name, {}};
  return s;
}
LayerSpec dropout(double p) {
  LayerSpec s;
  s.kind = LayerSpec::Kind::kDropout;
  s.dropout = p;
  return s;
}
LayerSpec norm(NormKind kind) {
  LayerSpec s;
  s.kind = LayerSpec::Kind::kNorm;
  s.norm.kind = kind;
  return s;
}
LayerSpec residual(NormKind kind, const std::string& f, std::size_t width = 0) {
  LayerSpec s;
  s.kind = LayerSpec::Kind::kResidual;
  s.norm.kind = kind;
  s.activation = {f, {}};
  s.width = width;
  return s;
}

MlpSpec listed(std::vector<LayerSpec> layers, std::size_t inputs = 6, std::size_t outputs = 3) {
  MlpSpec spec;
  spec.inputs = inputs;
  spec.outputs = outputs;
  spec.layers = std::move(layers);
  return spec;
}

TEST(Mlp, ListBuildsTheLayersInOrderThenTheOutputLinear) {
  const auto net =
      build_mlp<float>(listed({linear(8), norm(NormKind::kBatchNorm), activation("relu"),
                               dropout(0.5), residual(NormKind::kLayerNorm, "gelu", 8),
                               norm(NormKind::kLayerNorm), linear(4), activation("glu")}));
  const std::vector<std::string> kinds = {"linear",    "batchnorm", "relu", "dropout", "residual",
                                          "layernorm", "linear",    "glu",  "linear"};
  const std::vector<std::size_t> widths = {8, 8, 8, 8, 8, 8, 4, 2, 3};
  ASSERT_EQ(net.layer_count(), kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(net.layer(i).kind(), kinds[i]) << i;
    EXPECT_EQ(net.layer(i).output_size(), widths[i]) << i;
    EXPECT_EQ(net.layer_depth(i), i + 1) << i;  // the position in the list; the output is 9
  }
  EXPECT_EQ(net.layer(0).input_size(), 6u);
}

TEST(Mlp, HiddenFormKeepsItsNumbering) {
  MlpSpec spec;
  spec.inputs = 5;
  spec.hidden = {4, 3};
  spec.activation = {"tanh", {}};
  const auto net = build_mlp<double>(spec);
  const std::vector<std::size_t> depths = {1, 1, 2, 2, 3};
  ASSERT_EQ(net.layer_count(), depths.size());
  for (std::size_t i = 0; i < depths.size(); ++i)
    EXPECT_EQ(net.layer_depth(i), depths[i]);
  EXPECT_FALSE(uses_batch_statistics(spec));
  EXPECT_TRUE(uses_batch_statistics(listed({residual(NormKind::kBatchNorm, "relu")})));
  EXPECT_FALSE(uses_batch_statistics(listed({residual(NormKind::kLayerNorm, "relu")})));
}

TEST(Mlp, WidthsThatDoNotFitNameTheEntry) {
  try {
    build_mlp<float>(listed({linear(8), residual(NormKind::kNone, "relu", 16)}));
    ADD_FAILURE() << "accepted a residual block wider than its input";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers[1]"), std::string::npos) << e.what();
  }
  // GLU on the 7 input units: the width is odd.
  EXPECT_THROW(build_mlp<float>(listed({activation("glu")}, 7)), ConfigError);
  // An empty list is logistic regression: the output Linear alone.
  EXPECT_EQ(build_mlp<float>(listed({})).layer_count(), 1u);
}

// p = 1 zeroes every output (training would be meaningless): refused like any other range error,
// naming the entry; p just below 1 is a valid, if extreme, choice.
TEST(Mlp, DropoutOfOneOrMoreIsRefused) {
  const std::pair<double, const char*> refused[] = {{1.0, "1"}, {1.5, "1.5"}, {-0.1, "-0.1"}};
  for (const auto& [p, text] : refused) {
    try {
      build_mlp<float>(listed({linear(8), dropout(p)}));
      ADD_FAILURE() << "accepted dropout p = " << p;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("model.layers[1].dropout: p must be in "
                                                       "[0, 1), got ") +
                                           text),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_NO_THROW(build_mlp<float>(listed({linear(8), dropout(0.999)})));
  EXPECT_NO_THROW(build_mlp<float>(listed({linear(8), dropout(0.0)})));
}

// The whole network in float64 and in training mode — BatchNorm batch statistics, dropout (its
// stream re-seeded for every evaluation), a residual block with BatchNorm, LayerNorm — against
// central differences of the mean cross-entropy, for the input... through every parameter.
TEST(Mlp, NetworkGradientMatchesFiniteDifferencesInTraining) {
  Sequential<double> net =
      build_mlp<double>(listed({linear(5), norm(NormKind::kBatchNorm), activation("tanh"),
                                dropout(0.4), residual(NormKind::kBatchNorm, "gelu"),
                                norm(NormKind::kLayerNorm), linear(4), activation("silu")}));
  Rng init(5);
  net.initialize(init);
  const std::size_t batch = 6;
  Matrix<double> x(batch, 6), dlogits(batch, 3);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = init.normal();
  const std::vector<std::int32_t> labels = {0, 1, 2, 2, 1, 0};
  auto loss = [&](bool backward) {
    Rng pass(99);
    const auto logits = net.forward(x.view(), {.training = true, .rng = &pass});
    const auto result = softmax_cross_entropy<double>(
        logits, labels, 0.0, backward ? dlogits.view() : MatrixView<double>{});
    if (backward) net.backward(dlogits.view());
    return result.loss;
  };
  net.zero_grad();
  loss(true);
  const std::vector<double> analytic(net.gradients().begin(), net.gradients().end());
  const double h = 1e-6;
  double worst = 0;
  auto params = net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const double saved = params[i];
    params[i] = saved + h;
    const double plus = loss(false);
    params[i] = saved - h;
    const double minus = loss(false);
    params[i] = saved;
    const double numeric = (plus - minus) / (2 * h);
    worst = std::max(worst, std::abs(analytic[i] - numeric) / std::max(1.0, std::abs(numeric)));
  }
  EXPECT_LT(worst, 1e-7) << "over " << params.size() << " parameters";
}

}  // namespace
}  // namespace actlab
