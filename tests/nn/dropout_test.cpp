#include "actlab/nn/dropout.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "support/gradient_check.hpp"

namespace actlab {
namespace {

TEST(Dropout, EvaluationIsTheIdentityBothWays) {
  Dropout<float> layer(5, 0.5);
  Matrix<float> x(2, 5), y(2, 5), dy(2, 5), dx(2, 5);
  for (std::size_t i = 0; i < 10; ++i) {
    x.data()[i] = static_cast<float>(i) - 4.5f;
    dy.data()[i] = 0.25f * static_cast<float>(i);
  }
  Rng rng(1);
  layer.forward(x.view(), y.view(), {.training = false, .rng = &rng});
  layer.backward(dy.view(), dx.view());
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(y.data()[i], x.data()[i]);
    EXPECT_EQ(dx.data()[i], dy.data()[i]);
  }
}

// 200,000 elements with x = 1 and p = 0.3: each survivor is exactly 1/(1-p) (inverted dropout),
// the number zeroed is Binomial(n, p) (within 5 standard deviations, √(np(1-p)) ≈ 205), and so
// the mean output stays 1 (within 5 standard deviations of the mean, √(p/(1-p)/n) ≈ 1.5e-3).
TEST(Dropout, TrainingZeroesAFractionPAndScalesTheRestByOneOverOneMinusP) {
  const std::size_t rows = 200, cols = 1000, n = rows * cols;
  const double p = 0.3;
  Dropout<double> layer(cols, p);
  Matrix<double> x(rows, cols), y(rows, cols), dy(rows, cols), dx(rows, cols);
  x.fill(1.0);
  Rng rng(11);
  layer.forward(x.view(), y.view(), {.training = true, .rng = &rng});
  std::size_t zeros = 0;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = y.data()[i];
    if (v == 0.0)
      ++zeros;
    else
      ASSERT_EQ(v, 1.0 / (1.0 - p)) << i;
    sum += v;
  }
  const double expected = p * static_cast<double>(n);
  EXPECT_NEAR(static_cast<double>(zeros), expected, 5 * std::sqrt(expected * (1 - p)));
  EXPECT_NEAR(sum / static_cast<double>(n), 1.0,
              5 * std::sqrt(p / (1 - p) / static_cast<double>(n)));
  // Backward multiplies by the same mask: with dy = 1 and x = 1, dx equals y.
  dy.fill(1.0);
  layer.backward(dy.view(), dx.view());
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(dx.data()[i], y.data()[i]);
}

TEST(Dropout, PZeroKeepsEverything) {
  Matrix<float> x(3, 4), y(3, 4);
  for (std::size_t i = 0; i < 12; ++i)
    x.data()[i] = static_cast<float>(i) + 0.5f;
  Rng rng(3);
  Dropout<float> keep(4, 0.0);
  keep.forward(x.view(), y.view(), {.training = true, .rng = &rng});
  for (std::size_t i = 0; i < 12; ++i)
    EXPECT_EQ(y.data()[i], x.data()[i]);
}

TEST(Dropout, MaskComesFromTheGivenStreamWhichTrainingNeeds) {
  Dropout<float> layer(64, 0.5);
  Matrix<float> x(1, 64), a(1, 64), b(1, 64), c(1, 64);
  x.fill(1.0f);
  Rng first(9), second(9);
  layer.forward(x.view(), a.view(), {.training = true, .rng = &first});
  layer.forward(x.view(), b.view(), {.training = true, .rng = &second});
  layer.forward(x.view(), c.view(), {.training = true, .rng = &first});  // stream moved on
  EXPECT_TRUE(std::equal(a.data(), a.data() + 64, b.data()));
  EXPECT_FALSE(std::equal(a.data(), a.data() + 64, c.data()));
  EXPECT_THROW(layer.forward(x.view(), a.view(), {.training = true}), std::logic_error);
  EXPECT_THROW(Dropout<float>(4, 1.5), std::invalid_argument);
  EXPECT_THROW(Dropout<float>(4, -0.1), std::invalid_argument);
}

// p = 1 would zero every output and every gradient: refused, while p just below 1 still works.
TEST(Dropout, ProbabilityOneIsRefused) {
  EXPECT_THROW(Dropout<float>(4, 1.0), std::invalid_argument);
  EXPECT_NO_THROW(Dropout<float>(4, 0.999));
}

// In training with a fixed mask (the harness re-seeds the stream before every forward), dropout
// is linear in x: its backward must match central differences exactly up to rounding.
TEST(Dropout, FiniteDifferencesInTrainingWithAFixedMask) {
  for (const double p : {0.2, 0.5, 0.9}) {
    Dropout<double> layer(7, p);
    const auto result = test::check_layer_gradients(layer, {.batch = 6, .training = true});
    EXPECT_LT(result.max_input_error, 1e-8) << "p = " << p;
  }
}

}  // namespace
}  // namespace actlab
