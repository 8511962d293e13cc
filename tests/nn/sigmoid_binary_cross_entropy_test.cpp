// The fused sigmoid + binary cross-entropy against PyTorch's binary_cross_entropy_with_logits
// (tests/golden/bce_with_logits.csv, every case), float64 finite differences, extreme logits and
// the `correct` count.
#include "actlab/nn/sigmoid_binary_cross_entropy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "actlab/core/rng.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

// Tolerance on |got - want| <= tol·max(1, |want|) for the loss and tol for each gradient element.
// float64: 1e-14. float32: 1e-7 (the loss is accumulated in double; float only rounds the logits,
// exact for the integer ±1000 cases, and the gradient).
template <typename T>
constexpr double kTolerance = std::is_same_v<T, double> ? 1e-14 : 1e-7;

template <typename T>
void check_golden() {
  const test::CsvTable table = test::read_golden_csv("bce_with_logits.csv");
  ASSERT_EQ(table.rows.size(), 10u);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    SCOPED_TRACE("case " + table.at(r, "case"));
    const auto logits = test::parse_numbers(table.at(r, "logits"));
    const auto targets = test::parse_numbers(table.at(r, "targets"));
    const auto grad = test::parse_numbers(table.at(r, "grad"));
    const double loss_mean = test::parse_number(table.at(r, "loss_mean"));
    ASSERT_EQ(targets.size(), logits.size());
    ASSERT_EQ(grad.size(), logits.size());
    // Every element is one example: logits (n, 1), labels (n).
    Matrix<T> z(logits.size(), 1), dz(logits.size(), 1);
    std::vector<std::int32_t> labels;
    std::size_t expected_correct = 0;
    for (std::size_t i = 0; i < logits.size(); ++i) {
      z.data()[i] = static_cast<T>(logits[i]);
      ASSERT_TRUE(targets[i] == 0.0 || targets[i] == 1.0) << "hard targets only";
      labels.push_back(static_cast<std::int32_t>(targets[i]));
      expected_correct += (logits[i] > 0) == (targets[i] == 1.0) ? 1 : 0;
    }
    const LossResult result = sigmoid_binary_cross_entropy<T>(z.view(), labels, dz.view());
    const double tol = kTolerance<T>;
    EXPECT_NEAR(result.loss, loss_mean, tol * std::max(1.0, std::abs(loss_mean)));
    for (std::size_t i = 0; i < grad.size(); ++i)
      EXPECT_NEAR(dz.data()[i], grad[i], tol) << "element " << i;
    EXPECT_EQ(result.correct, expected_correct);
  }
}

TEST(SigmoidBinaryCrossEntropy, MatchesPyTorchInFloat64) {
  check_golden<double>();
}
TEST(SigmoidBinaryCrossEntropy, MatchesPyTorchInFloat32) {
  check_golden<float>();
}

// Logits of ±1000: sigmoid then log would give log(0) = -inf; the log-sigmoid form is exact.
template <typename T>
void check_extremes() {
  Matrix<T> z(4, 1), dz(4, 1);
  const T values[4] = {1000, -1000, 1000, -1000};
  for (std::size_t i = 0; i < 4; ++i)
    z.data()[i] = values[i];
  const std::vector<std::int32_t> labels{1, 0, 0, 1};
  const LossResult result = sigmoid_binary_cross_entropy<T>(z.view(), labels, dz.view());
  // Row losses 0, 0, 1000, 1000 (log1p(exp(-1000)) = 0 in double); gradients (σ - y)/4.
  EXPECT_EQ(result.loss, 500.0);
  EXPECT_EQ(dz.data()[0], T(0));
  EXPECT_EQ(dz.data()[1], T(0));
  EXPECT_EQ(dz.data()[2], T(0.25));
  EXPECT_EQ(dz.data()[3], T(-0.25));
  EXPECT_EQ(result.correct, 2u);
}

TEST(SigmoidBinaryCrossEntropy, ExtremeLogitsGiveExactFiniteResultsInFloat64) {
  check_extremes<double>();
}
TEST(SigmoidBinaryCrossEntropy, ExtremeLogitsGiveExactFiniteResultsInFloat32) {
  check_extremes<float>();
}

// Central differences of the mean loss in float64 agree with the analytic gradient.
TEST(SigmoidBinaryCrossEntropy, GradientMatchesFiniteDifferences) {
  Rng rng(11);
  const std::size_t n = 16;
  Matrix<double> z(n, 1), dz(n, 1);
  std::vector<std::int32_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    z.data()[i] = rng.normal(0.0, 4.0);
    labels[i] = static_cast<std::int32_t>(rng.below(2));
  }
  sigmoid_binary_cross_entropy<double>(z.view(), labels, dz.view());
  const double h = 1e-6;
  for (std::size_t i = 0; i < n; ++i) {
    const double saved = z.data()[i];
    z.data()[i] = saved + h;
    const double up = sigmoid_binary_cross_entropy<double>(z.view(), labels, {}).loss;
    z.data()[i] = saved - h;
    const double down = sigmoid_binary_cross_entropy<double>(z.view(), labels, {}).loss;
    z.data()[i] = saved;
    EXPECT_NEAR(dz.data()[i], (up - down) / (2 * h), 1e-8) << "element " << i;
  }
}

TEST(SigmoidBinaryCrossEntropy, CountsLogitSignAgainstLabel) {
  Matrix<float> z(4, 1);
  const float values[4] = {0.5f, -0.5f, 0.0f, 0.0f};
  for (std::size_t i = 0; i < 4; ++i)
    z.data()[i] = values[i];
  // z = 0 predicts class 0 (the rule is z > 0 for class 1).
  const std::vector<std::int32_t> labels{1, 1, 0, 1};
  EXPECT_EQ(sigmoid_binary_cross_entropy<float>(z.view(), labels, {}).correct, 2u);
}

TEST(SigmoidBinaryCrossEntropy, StableSigmoidIsFiniteAndSymmetric) {
  EXPECT_EQ(stable_sigmoid(1000.0), 1.0);
  EXPECT_EQ(stable_sigmoid(-1000.0), 0.0);
  EXPECT_EQ(stable_sigmoid(0.0), 0.5);
  for (const double z : {0.1, 1.0, 7.5, 30.0})
    EXPECT_NEAR(stable_sigmoid(z) + stable_sigmoid(-z), 1.0, 1e-15);
}

}  // namespace
}  // namespace actlab
