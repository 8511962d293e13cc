#include "actlab/nn/batch_norm.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "support/gradient_check.hpp"
#include "support/layer_buffers.hpp"
#include "support/layer_golden.hpp"

namespace actlab {
namespace {

std::unique_ptr<BatchNorm<double>> from_case(const test::LayerGoldenCase& c) {
  return std::make_unique<BatchNorm<double>>(c.at("x").cols(), c.number("momentum"),
                                             c.number("eps"), c.number("affine") != 0);
}

// y, dx, dγ, dβ, and the running statistics after one and two forwards, against PyTorch 1.13's
// BatchNorm1d in float64 (tests/golden/layers.csv): training with the defaults, another momentum
// and eps, without affine, the smallest batch (2 rows); and evaluation. Agreement to 1e-12 in
// double shows the same formulas: biased variance to normalise, unbiased for the running estimate.
TEST(BatchNorm, MatchesPyTorchInFloat64) {
  const auto cases = test::read_layer_golden("batchnorm");
  ASSERT_EQ(cases.size(), 5u);
  for (const auto& c : cases) {
    auto layer = from_case(c);
    test::expect_layer_matches<double>(*layer, c, 1e-12);
  }
}

// The same in float32, within 2e-5 (inputs and outputs of order 1-10, float epsilon 1.2e-7).
TEST(BatchNorm, MatchesPyTorchInFloat32) {
  for (const auto& c : test::read_layer_golden("batchnorm")) {
    BatchNorm<float> layer(c.at("x").cols(), c.number("momentum"), c.number("eps"),
                           c.number("affine") != 0);
    test::expect_layer_matches<float>(layer, c, 2e-5);
  }
}

// In training the batch mean and variance are functions of x, so dx has the two extra terms of
// the BatchNorm backward; central differences see them.
TEST(BatchNorm, FiniteDifferencesInTraining) {
  for (const bool affine : {true, false}) {
    BatchNorm<double> layer(4, 0.1, 1e-5, affine);
    test::GradientCheckOptions options{.batch = 5, .training = true};
    options.prepare = [](Layer<double>& l, Rng& rng) {
      auto& bn = dynamic_cast<BatchNorm<double>&>(l);
      for (std::size_t j = 0; j < bn.weight().size(); ++j) {
        bn.weight().data[j] = 1.0 + 0.5 * rng.normal();
        bn.bias().data[j] = 0.3 * rng.normal();
      }
    };
    const auto result = test::check_layer_gradients(layer, options);
    EXPECT_LT(result.max_input_error, 1e-7) << "affine " << affine;
    EXPECT_LT(result.max_parameter_error, 1e-7) << "affine " << affine;
    EXPECT_EQ(result.parameters_checked, affine ? 8u : 0u);
  }
}

// In evaluation the running statistics are constants; they are first moved away from (0, 1) by
// training forwards so that the check is not of the identity.
TEST(BatchNorm, FiniteDifferencesInEvaluation) {
  BatchNorm<double> layer(3, 0.5);
  test::GradientCheckOptions options{.batch = 4, .training = false};
  options.prepare = [](Layer<double>& l, Rng& rng) {
    Matrix<double> x(8, 3), y(8, 3);
    for (std::size_t i = 0; i < x.size(); ++i)
      x.data()[i] = 3.0 * rng.normal() + 2.0;
    l.forward(x.view(), y.view(), {.training = true, .rng = &rng});
  };
  const auto result = test::check_layer_gradients(layer, options);
  EXPECT_LT(result.max_input_error, 1e-8);
  EXPECT_LT(result.max_parameter_error, 1e-8);
}

TEST(BatchNorm, InitialisesAndLeavesStateAloneInEvaluation) {
  BatchNorm<float> layer(3);
  test::LayerBuffers<float> buffers(layer);
  Rng rng(1);
  layer.initialize(rng);
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_EQ(buffers.value("weight")(0, j), 1.0f);
    EXPECT_EQ(buffers.value("bias")(0, j), 0.0f);
    EXPECT_EQ(buffers.state("running_mean")(0, j), 0.0f);
    EXPECT_EQ(buffers.state("running_var")(0, j), 1.0f);
  }
  // Evaluation with the initial statistics: y = x / √(1 + eps), state unchanged; one row is fine.
  Matrix<float> x(1, 3), y(1, 3);
  x(0, 0) = 2.0f;
  x(0, 1) = -1.0f;
  x(0, 2) = 0.5f;
  layer.forward(x.view(), y.view(), {.training = false});
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_FLOAT_EQ(y(0, j), x(0, j) / std::sqrt(1.0f + 1e-5f));
    EXPECT_EQ(buffers.state("running_mean")(0, j), 0.0f);
    EXPECT_EQ(buffers.state("running_var")(0, j), 1.0f);
  }
  // As PyTorch ("Expected more than 1 value per channel when training"), one row cannot train.
  EXPECT_THROW(layer.forward(x.view(), y.view(), {.training = true}), std::invalid_argument);
}

TEST(BatchNorm, StateIsSeparateFromParameters) {
  BatchNorm<float> affine(6), plain(6, 0.1, 1e-5, false);
  ASSERT_EQ(affine.parameter_shapes().size(), 2u);
  EXPECT_EQ(affine.parameter_shapes()[0].name, "weight");
  EXPECT_EQ(affine.parameter_shapes()[1].name, "bias");
  EXPECT_TRUE(plain.parameter_shapes().empty());
  for (const BatchNorm<float>* layer : {&affine, &plain}) {
    const auto state = layer->state_shapes();
    ASSERT_EQ(state.size(), 2u);
    EXPECT_EQ(state[0].name, "running_mean");
    EXPECT_EQ(state[1].name, "running_var");
    EXPECT_EQ(state[1].cols, 6u);
  }
  EXPECT_THROW(BatchNorm<float>(3, 1.5), std::invalid_argument);
  EXPECT_THROW(BatchNorm<float>(3, 0.1, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace actlab
