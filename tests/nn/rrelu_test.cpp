#include "actlab/nn/rrelu.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace actlab {
namespace {

constexpr double kLower = 1.0 / 8, kUpper = 1.0 / 3;

// In training every x <= 0 gets its own slope; with x = -1 the output is minus the slope. The
// slopes of 100,000 elements follow U(1/8, 1/3): all inside the interval, and the
// Kolmogorov–Smirnov distance to the uniform CDF is below its 0.1% critical value 1.95/√n.
TEST(Rrelu, TrainingSlopesAreUniformOnLowerToUpper) {
  const std::size_t rows = 100, cols = 1000, n = rows * cols;
  Rrelu<double> layer(cols, kLower, kUpper);
  Matrix<double> x(rows, cols), y(rows, cols), dy(rows, cols), dx(rows, cols);
  x.fill(-1.0);
  Rng rng(2024);
  layer.forward(x.view(), y.view(), {.training = true, .rng = &rng});

  std::vector<double> slopes(n);
  for (std::size_t i = 0; i < n; ++i)
    slopes[i] = -y.data()[i];
  EXPECT_GE(*std::min_element(slopes.begin(), slopes.end()), kLower);
  EXPECT_LE(*std::max_element(slopes.begin(), slopes.end()), kUpper);

  std::sort(slopes.begin(), slopes.end());
  double ks = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double cdf = (slopes[i] - kLower) / (kUpper - kLower);
    ks = std::max({ks, std::abs(cdf - static_cast<double>(i) / n),
                   std::abs(cdf - static_cast<double>(i + 1) / n)});
  }
  EXPECT_LT(ks, 1.95 / std::sqrt(static_cast<double>(n))) << "KS distance " << ks;

  // The mean and variance of U(a, b) are (a + b)/2 and (b - a)²/12; standard errors ~2e-4, 3e-5.
  double sum = 0, sum_sq = 0;
  for (double s : slopes) {
    sum += s;
    sum_sq += s * s;
  }
  const double mean = sum / n, variance = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, (kLower + kUpper) / 2, 1e-3);
  EXPECT_NEAR(variance, (kUpper - kLower) * (kUpper - kLower) / 12, 2e-4);

  // Backward multiplies by the very slopes the forward drew.
  dy.fill(1.0);
  layer.backward(dy.view(), dx.view());
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(dx.data()[i], -y.data()[i]);
}

TEST(Rrelu, PositiveInputsPassUnchangedInTraining) {
  Rrelu<float> layer(4, kLower, kUpper);
  Matrix<float> x(1, 4), y(1, 4), dy(1, 4), dx(1, 4);
  const float values[] = {0.5f, 3.0f, -2.0f, 1e-6f};
  std::copy(values, values + 4, x.data());
  Rng rng(1);
  layer.forward(x.view(), y.view(), {.training = true, .rng = &rng});
  EXPECT_EQ(y(0, 0), 0.5f);
  EXPECT_EQ(y(0, 1), 3.0f);
  EXPECT_EQ(y(0, 3), 1e-6f);
  EXPECT_GE(-y(0, 2) / 2.0f, static_cast<float>(kLower));
  EXPECT_LE(-y(0, 2) / 2.0f, static_cast<float>(kUpper));
  dy.fill(1.0f);
  layer.backward(dy.view(), dx.view());
  EXPECT_EQ(dx(0, 0), 1.0f);
  EXPECT_EQ(dx(0, 2), y(0, 2) / -2.0f);
}

TEST(Rrelu, EvaluationIsDeterministicWithTheMeanSlope) {
  Rrelu<double> layer(5, kLower, kUpper);
  Matrix<double> x(1, 5), y1(1, 5), y2(1, 5), dy(1, 5), dx(1, 5);
  const double values[] = {-4.0, -1.0, 0.0, 0.5, 2.0};
  std::copy(values, values + 5, x.data());
  layer.forward(x.view(), y1.view(), {.training = false});
  Rng rng(3);
  layer.forward(x.view(), y2.view(), {.training = false, .rng = &rng});
  const double mean_slope = (kLower + kUpper) / 2;
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(y1(0, i), y2(0, i));
    EXPECT_DOUBLE_EQ(y1(0, i), values[i] > 0 ? values[i] : mean_slope * values[i]);
  }
  dy.fill(1.0);
  layer.backward(dy.view(), dx.view());
  EXPECT_DOUBLE_EQ(dx(0, 0), mean_slope);
  EXPECT_DOUBLE_EQ(dx(0, 2), mean_slope);  // at 0 the negative side's slope, as leaky_relu
  EXPECT_DOUBLE_EQ(dx(0, 4), 1.0);
}

TEST(Rrelu, TrainingDrawsFromTheGivenStreamAndNeedsOne) {
  Rrelu<float> layer(64, kLower, kUpper);
  Matrix<float> x(1, 64), a(1, 64), b(1, 64), c(1, 64);
  x.fill(-1.0f);
  Rng first(9), second(9);
  layer.forward(x.view(), a.view(), {.training = true, .rng = &first});
  layer.forward(x.view(), b.view(), {.training = true, .rng = &second});
  layer.forward(x.view(), c.view(), {.training = true, .rng = &first});  // stream moved on
  EXPECT_TRUE(std::equal(a.data(), a.data() + 64, b.data()));
  EXPECT_FALSE(std::equal(a.data(), a.data() + 64, c.data()));
  EXPECT_THROW(layer.forward(x.view(), a.view(), {.training = true}), std::logic_error);
}

}  // namespace
}  // namespace actlab
