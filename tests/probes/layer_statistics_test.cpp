#include "actlab/probes/layer_statistics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "actlab/core/rng.hpp"

namespace actlab {
namespace {

TEST(LayerStatistics, DeadUnitsAreThoseWithZeroDerivativeOnEverySample) {
  // 3 samples × 4 units: unit 1 and 3 are zero everywhere, unit 0 is zero on 2 of 3 samples.
  Matrix<float> d(3, 4);
  d(0, 0) = 0.5f;
  d(0, 2) = 1;
  d(1, 2) = 1;
  d(2, 2) = 1;
  const auto dead = dead_units(d.view());
  EXPECT_EQ(dead, (std::vector<bool>{false, true, false, true}));
  EXPECT_DOUBLE_EQ(fraction_true(dead), 0.5);
}

TEST(LayerStatistics, SaturationIsRelativeToTheLargestDerivative) {
  // Derivatives of a sigmoid (max 0.25): 0.25 is active, 0.002 <= 0.01 * 0.25 is saturated.
  Matrix<float> d(100, 2);
  for (std::size_t r = 0; r < 100; ++r) {
    d(r, 0) = 0.002f;                   // unit 0: saturated on every sample
    d(r, 1) = r < 50 ? 0.25f : 0.001f;  // unit 1: on half of them
  }
  const SaturationStatistics s = saturation(d.view(), 0.01, 0.25);
  EXPECT_DOUBLE_EQ(s.saturated_fraction, 150.0 / 200.0);
  EXPECT_DOUBLE_EQ(s.units_mostly_saturated, 0.5);
}

TEST(LayerStatistics, DormantUnitsFollowSokarEtAl) {
  // Mean |a| per unit: 0, 0.01, 1, 3 → layer mean 1.0025; scores 0, 0.00998, 0.998, 2.99.
  Matrix<float> a(2, 4);
  a(0, 1) = 0.02f;
  a(0, 2) = 1;
  a(1, 2) = -1;
  a(0, 3) = 3;
  a(1, 3) = 3;
  EXPECT_DOUBLE_EQ(dormant_fraction(a.view(), 0.025), 0.5);
  EXPECT_DOUBLE_EQ(dormant_fraction(a.view(), 0.0), 0.25);  // only the unit that is always 0
  Matrix<float> zeros(3, 5);
  EXPECT_DOUBLE_EQ(dormant_fraction(zeros.view(), 0.025), 1.0);
}

TEST(LayerStatistics, ActivationStatisticsMatchADirectComputation) {
  Matrix<float> a(10, 10);
  for (std::size_t i = 0; i < 100; ++i)
    a.data()[i] = i % 10 == 0 ? 0.0f : static_cast<float>(i);
  std::vector<float> scratch;
  const ActivationStatistics s = activation_statistics(a.view(), scratch);
  std::vector<float> sorted(a.data(), a.data() + 100);
  std::sort(sorted.begin(), sorted.end());
  double mean = 0, sq = 0;
  for (float v : sorted)
    mean += v;
  mean /= 100;
  for (float v : sorted)
    sq += (v - mean) * (v - mean);
  EXPECT_NEAR(s.mean, mean, 1e-12);
  EXPECT_NEAR(s.std, std::sqrt(sq / 100), 1e-9);
  EXPECT_DOUBLE_EQ(s.zero_fraction, 0.1);
  EXPECT_EQ(s.p2, sorted[static_cast<std::size_t>(0.02 * 99)]);
  EXPECT_EQ(s.p98, sorted[static_cast<std::size_t>(0.98 * 99)]);
  EXPECT_EQ(s.median, sorted[49]);
  // Unit j (column) holds 10 r + j for r = 0..9, so its mean is 45 + j, except unit 0, which is
  // always 0. The lower median of the ten means {0, 46, ..., 54} is 49.
  EXPECT_DOUBLE_EQ(s.unit_mean_median, 49.0);
}

TEST(LayerStatistics, UnitMeanMedianIsNotPinnedAtZeroByReluZeros) {
  // Three of four units output 0 on 3 of 4 samples and a positive value on the fourth: the median
  // of all values is 0, while the median of the unit means is positive, as a ReLU layer's.
  Matrix<float> a(4, 4);
  for (std::size_t j = 0; j < 4; ++j)
    a(j, j) = 4.0f * static_cast<float>(j + 1);
  std::vector<float> scratch;
  const ActivationStatistics s = activation_statistics(a.view(), scratch);
  EXPECT_EQ(s.median, 0.0f);
  EXPECT_DOUBLE_EQ(s.unit_mean_median, 2.0);  // unit means 1, 2, 3, 4: lower median 2
}

TEST(LayerStatistics, ValuesAtRanksEqualSortingAndIndexing) {
  // ReLU-like data (a third exact zeros of both signs, denormals, ties, both signs, magnitudes
  // from 1e-30 to 1e30) and a
  // narrow cluster whose values all share one radix bucket, so the partial sort inside a bucket
  // is exercised as much as the bucket search.
  Rng rng(5);
  std::vector<float> wide(50001), narrow(20000);
  for (float& v : wide) {
    const double u = rng.uniform();
    const double sign = rng.uniform() < 0.5 ? -1 : 1;
    v = u < 0.3    ? 0.0f
        : u < 0.33 ? -0.0f
        : u < 0.34 ? static_cast<float>(sign * 1e-40)  // denormals share the zeros' buckets
        : u < 0.4  ? 7.0f
                   : static_cast<float>(sign * std::pow(10.0, rng.uniform(-30, 30)));
  }
  for (float& v : narrow)
    v = static_cast<float>(1.0 + rng.uniform() * 1e-3);
  for (const std::vector<float>* data : {&wide, &narrow}) {
    std::vector<float> sorted = *data;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    std::vector<std::size_t> ranks = {0, n / 50, n / 3, n / 2, n - 1};
    std::vector<float> values(ranks.size()), scratch;
    values_at_ranks(*data, ranks, values, scratch);
    for (std::size_t r = 0; r < ranks.size(); ++r)
      EXPECT_EQ(values[r], sorted[ranks[r]]) << ranks[r];
    for (std::size_t k = 0; k < n; k += 997) {
      float value = 0;
      const std::size_t rank = k;
      values_at_ranks(*data, {&rank, 1}, {&value, 1}, scratch);
      ASSERT_EQ(value, sorted[k]) << k;
    }
  }
}

TEST(LayerStatistics, NormsAndSlopes) {
  Matrix<float> m(2, 2);
  m(0, 0) = 3;
  m(1, 1) = 4;
  EXPECT_DOUBLE_EQ(frobenius_norm(m.view()), 5.0);
  EXPECT_DOUBLE_EQ(least_squares_slope({1, 2, 3, 4}, {-5, -3, -1, 1}), 2.0);
}

}  // namespace
}  // namespace actlab
