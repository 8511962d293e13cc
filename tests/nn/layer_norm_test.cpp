#include "actlab/nn/layer_norm.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "support/gradient_check.hpp"
#include "support/layer_golden.hpp"

namespace actlab {
namespace {

// y, dx, dγ, dβ against PyTorch 1.13's LayerNorm in float64: defaults, no affine, rows offset by
// 1000 (where E[x²] - E[x]² would cancel catastrophically), and a spread of 0.01 with eps 1e-3
// (where eps dominates the variance).
TEST(LayerNorm, MatchesPyTorchInFloat64) {
  const auto cases = test::read_layer_golden("layernorm");
  ASSERT_EQ(cases.size(), 4u);
  for (const auto& c : cases) {
    LayerNorm<double> layer(c.at("x").cols(), c.number("eps"), c.number("affine") != 0);
    test::expect_layer_matches<double>(layer, c, 1e-11);
  }
}

// In float32 within 1e-4: x ≈ 1000 ± 3 holds only ~4 significant digits of the deviation
// (float's spacing at 1000 is 6e-5, relative to a standard deviation of 3: 2e-5).
TEST(LayerNorm, MatchesPyTorchInFloat32) {
  for (const auto& c : test::read_layer_golden("layernorm")) {
    LayerNorm<float> layer(c.at("x").cols(), c.number("eps"), c.number("affine") != 0);
    test::expect_layer_matches<float>(layer, c, 1e-4);
  }
}

TEST(LayerNorm, FiniteDifferences) {
  for (const bool affine : {true, false}) {
    LayerNorm<double> layer(5, 1e-5, affine);
    test::GradientCheckOptions options{.batch = 3};
    options.prepare = [affine](Layer<double>& l, Rng& rng) {
      if (!affine) return;
      auto& ln = dynamic_cast<LayerNorm<double>&>(l);
      for (std::size_t j = 0; j < 5; ++j) {
        ln.weight().data[j] = 1.0 + 0.5 * rng.normal();
        ln.bias().data[j] = 0.3 * rng.normal();
      }
    };
    const auto result = test::check_layer_gradients(layer, options);
    EXPECT_LT(result.max_input_error, 1e-7) << "affine " << affine;
    EXPECT_LT(result.max_parameter_error, 1e-7) << "affine " << affine;
    EXPECT_EQ(result.parameters_checked, affine ? 10u : 0u);
  }
}

// No running statistics: training and evaluation compute the same thing, and there is no state.
TEST(LayerNorm, SameInTrainingAndEvaluation) {
  LayerNorm<float> layer(4);
  EXPECT_TRUE(layer.state_shapes().empty());
  Matrix<float> w(1, 4), b(1, 4), gw(1, 4), gb(1, 4);
  const MatrixView<float> values[] = {w.view(), b.view()}, grads[] = {gw.view(), gb.view()};
  layer.bind_parameters(values, grads);
  Rng rng(1);
  layer.initialize(rng);
  Matrix<float> x(2, 4), y1(2, 4), y2(2, 4);
  for (std::size_t i = 0; i < 8; ++i)
    x.data()[i] = static_cast<float>(i * i) - 3.0f;
  layer.forward(x.view(), y1.view(), {.training = true});
  layer.forward(x.view(), y2.view(), {.training = false});
  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_EQ(y1.data()[i], y2.data()[i]);
  // With γ = 1, β = 0 each row has mean 0 and (biased) variance 1 - eps/(σ² + eps) ≈ 1.
  for (std::size_t r = 0; r < 2; ++r) {
    double mean = 0, square = 0;
    for (std::size_t c = 0; c < 4; ++c) {
      mean += y1(r, c) / 4.0;
      square += double(y1(r, c)) * y1(r, c) / 4.0;
    }
    EXPECT_NEAR(mean, 0.0, 1e-6);
    EXPECT_NEAR(square, 1.0, 1e-5);
  }
  EXPECT_THROW(LayerNorm<float>(3, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace actlab
