// The fused softmax cross-entropy against PyTorch's F.cross_entropy (tests/golden/), float64 finite
// differences, extreme logits and the `correct` count.
#include "actlab/nn/softmax_cross_entropy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/rng.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

// One golden case: its rows form one batch.
struct LossCase {
  std::string id;
  double label_smoothing = 0;
  std::size_t classes = 0;
  std::vector<double> logits;  // (batch, classes)
  std::vector<std::int32_t> labels;
  double loss_mean = 0;
  std::vector<double> grad;  // (batch, classes)
};

std::vector<LossCase> golden_cases() {
  const test::CsvTable table = test::read_golden_csv("softmax_cross_entropy.csv");
  std::map<std::string, LossCase> by_id;
  std::vector<std::string> order;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const std::string id = table.at(r, "case");
    if (!by_id.count(id)) order.push_back(id);
    LossCase& c = by_id[id];
    c.id = id;
    c.label_smoothing = test::parse_number(table.at(r, "label_smoothing"));
    c.loss_mean = test::parse_number(table.at(r, "loss_mean"));
    const auto logits = test::parse_numbers(table.at(r, "logits"));
    const auto grad = test::parse_numbers(table.at(r, "grad_row"));
    c.classes = logits.size();
    EXPECT_EQ(grad.size(), logits.size());
    EXPECT_EQ(test::parse_number(table.at(r, "row")), static_cast<double>(c.labels.size()));
    c.logits.insert(c.logits.end(), logits.begin(), logits.end());
    c.grad.insert(c.grad.end(), grad.begin(), grad.end());
    c.labels.push_back(static_cast<std::int32_t>(test::parse_number(table.at(r, "label"))));
  }
  std::vector<LossCase> cases;
  for (const auto& id : order)
    cases.push_back(by_id[id]);
  return cases;
}

// Tolerance on |got - want| <= tol·max(1, |want|) for the loss and tol for each gradient element.
// float64: 1e-14 (measured: 2e-16). float32: 1e-7 (measured: 1.3e-8 on the loss, 2.2e-8 on the
// gradient); the loss is accumulated in double either way, so float32 only adds the rounding of
// the logits to float (the ±1000 logits are integers, exact) and of the gradient to float.
template <typename T>
constexpr double kTolerance = std::is_same_v<T, double> ? 1e-14 : 1e-7;

template <typename T>
void check_golden() {
  const auto cases = golden_cases();
  ASSERT_EQ(cases.size(), 13u);
  bool saw_smoothing = false, saw_batch = false;
  for (const LossCase& c : cases) {
    SCOPED_TRACE("case " + c.id);
    const std::size_t batch = c.labels.size();
    Matrix<T> logits(batch, c.classes), dlogits(batch, c.classes);
    for (std::size_t i = 0; i < c.logits.size(); ++i)
      logits.data()[i] = static_cast<T>(c.logits[i]);
    const LossResult result =
        softmax_cross_entropy<T>(logits.view(), c.labels, c.label_smoothing, dlogits.view());
    const double tol = kTolerance<T>;
    EXPECT_NEAR(result.loss, c.loss_mean, tol * std::max(1.0, std::abs(c.loss_mean)));
    for (std::size_t i = 0; i < c.grad.size(); ++i)
      EXPECT_NEAR(dlogits.data()[i], c.grad[i], tol) << "element " << i;
    saw_smoothing |= c.label_smoothing > 0;
    saw_batch |= batch > 1;
  }
  EXPECT_TRUE(saw_smoothing);
  EXPECT_TRUE(saw_batch);
}

TEST(SoftmaxCrossEntropy, MatchesPyTorchInFloat64) {
  check_golden<double>();
}
TEST(SoftmaxCrossEntropy, MatchesPyTorchInFloat32) {
  check_golden<float>();
}

// Logits of ±1000: a naive softmax overflows; log-sum-exp gives exact values.
template <typename T>
void check_extremes() {
  Matrix<T> logits(3, 3), dlogits(3, 3);
  const T rows[3][3] = {{1000, 0, -1000}, {1000, 0, -1000}, {-1000, -1000, -1000}};
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t k = 0; k < 3; ++k)
      logits(r, k) = rows[r][k];
  const std::vector<std::int32_t> labels{0, 2, 1};
  const LossResult result = softmax_cross_entropy<T>(logits.view(), labels, 0.0, dlogits.view());
  // Row losses: 0, 2000 and log 3; the mean of them.
  EXPECT_NEAR(result.loss, (0.0 + 2000.0 + std::log(3.0)) / 3.0, 1e-12);
  // Row gradients (p - onehot)/3: exactly 0; (1, 0, -1)/3; (1/3, -2/3, 1/3)/3.
  const T third = T(1) / T(3);
  EXPECT_EQ(dlogits(0, 0), T(0));
  EXPECT_EQ(dlogits(0, 1), T(0));
  EXPECT_EQ(dlogits(0, 2), T(0));
  EXPECT_EQ(dlogits(1, 0), third);
  EXPECT_EQ(dlogits(1, 1), T(0));
  EXPECT_EQ(dlogits(1, 2), -third);
  EXPECT_NEAR(dlogits(2, 0), 1.0 / 9.0, 1e-7);
  EXPECT_NEAR(dlogits(2, 1), -2.0 / 9.0, 1e-7);
  EXPECT_EQ(result.correct, 1u);  // row 0; row 2 ties and the first maximum (class 0) wins

  // With label smoothing the loss stays finite: row 0 has -Σ q log p with log p = (0, -1000, -2000)
  // and q = (0.9 + 0.1/3, 0.1/3, 0.1/3): 0.1/3·3000 = 100.
  const std::vector<std::int32_t> first{0};
  const LossResult smoothed =
      softmax_cross_entropy<T>(MatrixView<const T>(logits.view()).row_range(0, 1), first, 0.1,
                               dlogits.view().row_range(0, 1));
  EXPECT_NEAR(smoothed.loss, 100.0, 1e-9);
  EXPECT_TRUE(std::isfinite(dlogits(0, 0)) && std::isfinite(dlogits(0, 2)));
}

TEST(SoftmaxCrossEntropy, ExtremeLogitsGiveExactFiniteResultsInFloat64) {
  check_extremes<double>();
}
TEST(SoftmaxCrossEntropy, ExtremeLogitsGiveExactFiniteResultsInFloat32) {
  check_extremes<float>();
}

TEST(SoftmaxCrossEntropy, CountsRowsWhoseFirstMaximumIsTheLabel) {
  Matrix<float> logits(5, 3);
  const float rows[5][3] = {{1, 3, 2}, {5, 5, 0}, {5, 5, 0}, {0, 0, 0}, {-1, -2, -0.5f}};
  for (std::size_t r = 0; r < 5; ++r)
    for (std::size_t k = 0; k < 3; ++k)
      logits(r, k) = rows[r][k];
  // Correct: row 0 (max at 1), row 2 (tie 0/1, first is 0), row 3 (all tie, first is 0).
  // Wrong: row 1 (tie, label 1 is not the first), row 4 (max at 2, label 0).
  const std::vector<std::int32_t> labels{1, 1, 0, 0, 0};
  const LossResult result = softmax_cross_entropy<float>(logits.view(), labels, 0.0, {});
  EXPECT_EQ(result.correct, 3u);
  // Without dlogits the loss is the same as with it.
  Matrix<float> dlogits(5, 3);
  EXPECT_EQ(softmax_cross_entropy<float>(logits.view(), labels, 0.0, dlogits.view()).loss,
            result.loss);
}

// On a compute team the rows are split between the members: every row's gradient is the same bit
// for bit, the count the same, the loss the same up to the order of the parts' sums, and the same
// bit for bit every time on a team of that size.
TEST(SoftmaxCrossEntropy, OnATeamSplitsTheRowsAndGivesTheSameResults) {
  const std::size_t batch = 128, classes = 10;
  Rng rng(23);
  Matrix<float> logits(batch, classes);
  for (std::size_t i = 0; i < logits.size(); ++i)
    logits.data()[i] = static_cast<float>(rng.uniform(-4.0, 4.0));
  std::vector<std::int32_t> labels(batch);
  for (std::size_t r = 0; r < batch; ++r)
    labels[r] = static_cast<std::int32_t>(rng.below(classes));
  Matrix<float> alone(batch, classes), on_team(batch, classes), again(batch, classes);
  const LossResult expected =
      softmax_cross_entropy<float>(logits.view(), labels, 0.1, alone.view());
  ComputeTeam team(3);
  const LossResult split =
      softmax_cross_entropy<float>(logits.view(), labels, 0.1, on_team.view(), &team);
  const LossResult repeated =
      softmax_cross_entropy<float>(logits.view(), labels, 0.1, again.view(), &team);
  EXPECT_EQ(std::vector<float>(alone.data(), alone.data() + alone.size()),
            std::vector<float>(on_team.data(), on_team.data() + on_team.size()));
  EXPECT_EQ(split.correct, expected.correct);
  EXPECT_NEAR(split.loss, expected.loss, 1e-14);
  EXPECT_EQ(repeated.loss, split.loss);
  EXPECT_EQ(std::vector<float>(again.data(), again.data() + again.size()),
            std::vector<float>(on_team.data(), on_team.data() + on_team.size()));
}

// Central differences of the mean loss in float64 against the analytic dloss/dlogits.
class FiniteDifference : public ::testing::TestWithParam<double> {};

TEST_P(FiniteDifference, GradientMatchesCentralDifferencesInFloat64) {
  const double smoothing = GetParam();
  const std::size_t batch = 4, classes = 5;
  Rng rng(11);
  Matrix<double> logits(batch, classes), dlogits(batch, classes), scratch(batch, classes);
  for (std::size_t i = 0; i < logits.size(); ++i)
    logits.data()[i] = 3.0 * rng.normal();
  std::vector<std::int32_t> labels(batch);
  for (auto& label : labels)
    label = static_cast<std::int32_t>(rng.below(classes));
  softmax_cross_entropy<double>(logits.view(), labels, smoothing, dlogits.view());

  // Error of the central quotient: h²·f'''/6 + ε·|f|/h ≈ 1e-12 + 1e-10 for h = 1e-6.
  const double h = 1e-6;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double saved = logits.data()[i];
    logits.data()[i] = saved + h;
    const double plus = softmax_cross_entropy<double>(logits.view(), labels, smoothing, {}).loss;
    logits.data()[i] = saved - h;
    const double minus = softmax_cross_entropy<double>(logits.view(), labels, smoothing, {}).loss;
    logits.data()[i] = saved;
    EXPECT_NEAR(dlogits.data()[i], (plus - minus) / (2 * h), 1e-8) << "element " << i;
  }
  // The gradient of each row sums to 0 (softmax and the smoothed target both sum to 1).
  for (std::size_t r = 0; r < batch; ++r) {
    double sum = 0;
    for (std::size_t k = 0; k < classes; ++k)
      sum += dlogits(r, k);
    EXPECT_NEAR(sum, 0.0, 1e-15);
  }
}

INSTANTIATE_TEST_SUITE_P(LabelSmoothing, FiniteDifference, ::testing::Values(0.0, 0.1, 0.3));

}  // namespace
}  // namespace actlab
