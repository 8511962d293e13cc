#include "actlab/nn/linear.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradient_check.hpp"

namespace actlab {
namespace {

TEST(Linear, FiniteDifferenceGradientsInFloat64) {
  Linear<double> layer(5, 4, {Initializer::kXavierNormal}, 0.3);
  const auto result = test::check_layer_gradients(layer, {.batch = 6});
  EXPECT_LT(result.max_input_error, 1e-7);
  EXPECT_LT(result.max_parameter_error, 1e-7);
  EXPECT_EQ(result.parameters_checked, 5u * 4u + 4u);
}

TEST(Linear, ForwardComputesXWTransposePlusBias) {
  Linear<double> layer(2, 3);
  Matrix<double> w(3, 2), b(1, 3), gw(3, 2), gb(1, 3);
  std::vector<MatrixView<double>> values{w.view(), b.view()}, grads{gw.view(), gb.view()};
  layer.bind_parameters(values, grads);
  // W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -1, 2]
  for (std::size_t i = 0; i < 6; ++i)
    w.data()[i] = static_cast<double>(i + 1);
  b(0, 0) = 0.5;
  b(0, 1) = -1;
  b(0, 2) = 2;
  Matrix<double> x(1, 2), y(1, 3);
  x(0, 0) = 1;
  x(0, 1) = -1;
  layer.forward(x.view(), y.view(), {});
  EXPECT_DOUBLE_EQ(y(0, 0), 1 - 2 + 0.5);
  EXPECT_DOUBLE_EQ(y(0, 1), 3 - 4 - 1);
  EXPECT_DOUBLE_EQ(y(0, 2), 5 - 6 + 2);
}

// backward() writes dW and db (its shapes say so, and Sequential::zero_grad skips them): whatever
// the gradient buffers held before, NaN included, is replaced by this batch's gradient.
TEST(Linear, BackwardOverwritesTheParameterGradients) {
  Linear<double> layer(3, 2);
  for (const ParameterShape& shape : layer.parameter_shapes())
    ASSERT_TRUE(shape.written_by_backward) << shape.name;
  Matrix<double> w(2, 3), b(1, 2), gw(2, 3), gb(1, 2);
  std::vector<MatrixView<double>> values{w.view(), b.view()}, grads{gw.view(), gb.view()};
  layer.bind_parameters(values, grads);
  for (std::size_t i = 0; i < w.size(); ++i)
    w.data()[i] = 0.1 * static_cast<double>(i);
  Matrix<double> x(2, 3), y(2, 2), dy(2, 2), dx(2, 3);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<double>(i) - 2.5;
  for (std::size_t i = 0; i < dy.size(); ++i)
    dy.data()[i] = 1.0 + static_cast<double>(i);
  gw.fill(std::nan(""));
  gb.fill(std::nan(""));
  for (int pass = 0; pass < 2; ++pass) {  // a second pass must not add to the first
    layer.forward(x.view(), y.view(), {});
    layer.backward(dy.view(), dx.view());
    for (std::size_t o = 0; o < 2; ++o) {
      EXPECT_DOUBLE_EQ(gb(0, o), dy(0, o) + dy(1, o));
      for (std::size_t i = 0; i < 3; ++i)
        EXPECT_DOUBLE_EQ(gw(o, i), dy(0, o) * x(0, i) + dy(1, o) * x(1, i));
    }
  }
}

// Each initialiser's sample variance matches its definition (fan_in 400, fan_out 100).
TEST(Linear, InitialiserVariancesMatchTheirDefinitions) {
  const double fan_in = 400, fan_out = 100;
  struct Case {
    Initializer kind;
    double variance;
  };
  const Case cases[] = {
      {Initializer::kHeNormal, 2 / fan_in},
      {Initializer::kHeUniform, 2 / fan_in},
      {Initializer::kXavierNormal, 2 / (fan_in + fan_out)},
      {Initializer::kXavierUniform, 2 / (fan_in + fan_out)},
      {Initializer::kLecunNormal, 1 / fan_in},
      {Initializer::kStandard, 1 / (3 * fan_in)},
      {Initializer::kNormal, 0.05 * 0.05},
  };
  for (const Case& c : cases) {
    Matrix<double> w(100, 400);
    Rng rng(5);
    initialize_weights(w.view(), {c.kind, 0.05}, rng);
    double sum = 0, sum_sq = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      sum += w.data()[i];
      sum_sq += w.data()[i] * w.data()[i];
    }
    const double n = static_cast<double>(w.size());
    const double variance = sum_sq / n - (sum / n) * (sum / n);
    EXPECT_NEAR(variance / c.variance, 1.0, 0.03) << initializer_name(c.kind);
  }
}

}  // namespace
}  // namespace actlab
