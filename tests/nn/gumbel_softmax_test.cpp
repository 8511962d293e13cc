#include "actlab/nn/gumbel_softmax.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "support/gradient_check.hpp"

namespace actlab {
namespace {

const std::vector<double> kLogits{1.0, 0.0, -1.0, 0.5, 2.0};

std::vector<double> softmax(const std::vector<double>& z, double tau) {
  double max = z[0], sum = 0;
  for (double v : z)
    max = std::max(max, v);
  std::vector<double> p;
  for (double v : z)
    p.push_back(std::exp((v - max) / tau));
  for (double v : p)
    sum += v;
  for (double& v : p)
    v /= sum;
  return p;
}

// One batch whose every row holds the same logits.
Matrix<double> repeated_logits(std::size_t rows) {
  Matrix<double> x(rows, kLogits.size());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < kLogits.size(); ++c)
      x(r, c) = kLogits[c];
  return x;
}

double chi_square(const std::vector<double>& counts, const std::vector<double>& p, double n) {
  double chi2 = 0;
  for (std::size_t k = 0; k < p.size(); ++k)
    chi2 += (counts[k] - n * p[k]) * (counts[k] - n * p[k]) / (n * p[k]);
  return chi2;
}

// argmax(x + g) with Gumbel g is a sample from softmax(x), whatever tau: over 20,000 hard samples
// the chi-square statistic against softmax(x) stays below 18.47, the 0.1% critical value with 4
// degrees of freedom, while against softmax(x / tau) (a plausible mistake) it is far above.
TEST(GumbelSoftmax, HardSamplesFollowTheSoftmaxProbabilities) {
  const std::size_t n = 20000;
  for (double tau : {1.0, 0.5}) {
    GumbelSoftmax<double> layer(kLogits.size(), tau, /*hard=*/true);
    Matrix<double> x = repeated_logits(n), y(n, kLogits.size());
    Rng rng(77);
    layer.forward(x.view(), y.view(), {.training = true, .rng = &rng});
    std::vector<double> counts(kLogits.size(), 0.0);
    for (std::size_t r = 0; r < n; ++r) {
      double ones = 0;
      for (std::size_t c = 0; c < kLogits.size(); ++c) {
        ASSERT_TRUE(y(r, c) == 0.0 || y(r, c) == 1.0);
        ones += y(r, c) == 1.0;
        counts[c] += y(r, c);
      }
      ASSERT_EQ(ones, 1.0);
    }
    SCOPED_TRACE("tau=" + std::to_string(tau));
    EXPECT_LT(chi_square(counts, softmax(kLogits, 1.0), n), 18.47);
    if (tau != 1.0) {
      EXPECT_GT(chi_square(counts, softmax(kLogits, tau), n), 1000.0);
    }
  }
}

TEST(GumbelSoftmax, SoftSamplesAreDistributionsThatSharpenAsTauFalls) {
  const std::size_t n = 2000;
  for (double tau : {5.0, 1.0, 0.1}) {
    GumbelSoftmax<float> layer(kLogits.size(), tau, /*hard=*/false);
    Matrix<float> x(n, kLogits.size()), y(n, kLogits.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      x.data()[i] = static_cast<float>(kLogits[i % kLogits.size()]);
    Rng rng(5);
    layer.forward(x.view(), y.view(), {.training = true, .rng = &rng});
    double mean_max = 0;
    for (std::size_t r = 0; r < n; ++r) {
      double sum = 0, max = 0;
      for (std::size_t c = 0; c < kLogits.size(); ++c) {
        ASSERT_GE(y(r, c), 0.0f);
        ASSERT_LE(y(r, c), 1.0f);
        sum += y(r, c);
        max = std::max(max, static_cast<double>(y(r, c)));
      }
      ASSERT_NEAR(sum, 1.0, 1e-6);
      mean_max += max / n;
    }
    SCOPED_TRACE("tau=" + std::to_string(tau));
    if (tau == 0.1) {
      EXPECT_GT(mean_max, 0.95);  // nearly one-hot
    } else if (tau == 5.0) {
      EXPECT_LT(mean_max, 0.5);  // nearly flat
    }
  }
}

// Soft: the analytic gradient matches finite differences with the noise held fixed. Hard: the
// gradient is the soft one (straight-through), non-zero, and sums to 0 over each row.
TEST(GumbelSoftmax, GradientsFlowThroughSoftAndHardSamples) {
  GumbelSoftmax<double> soft(7, 0.7, false);
  const auto result = test::check_layer_gradients(soft, {.batch = 4, .training = true});
  EXPECT_LT(result.max_input_error, 1e-7);

  GumbelSoftmax<double> hard(7, 0.7, true);
  Matrix<double> x(4, 7), y_soft(4, 7), y_hard(4, 7), dy(4, 7), dx_soft(4, 7), dx_hard(4, 7);
  Rng init(8);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = init.normal();
    dy.data()[i] = init.normal();
  }
  Rng a(21), b(21);
  soft.forward(x.view(), y_soft.view(), {.training = true, .rng = &a});
  hard.forward(x.view(), y_hard.view(), {.training = true, .rng = &b});
  soft.backward(dy.view(), dx_soft.view());
  hard.backward(dy.view(), dx_hard.view());
  for (std::size_t r = 0; r < 4; ++r) {
    double row_sum = 0, magnitude = 0;
    std::size_t soft_argmax = 0;
    for (std::size_t c = 0; c < 7; ++c) {
      EXPECT_EQ(dx_hard(r, c), dx_soft(r, c));
      row_sum += dx_hard(r, c);
      magnitude += std::abs(dx_hard(r, c));
      if (y_soft(r, c) > y_soft(r, soft_argmax)) soft_argmax = c;
    }
    EXPECT_NEAR(row_sum, 0.0, 1e-12);
    EXPECT_GT(magnitude, 1e-3);
    EXPECT_EQ(y_hard(r, soft_argmax), 1.0);  // the one-hot marks the soft sample's largest entry
  }
}

TEST(GumbelSoftmax, EvaluationIsTheNoiselessSoftmaxOrItsArgmax) {
  Matrix<double> x = repeated_logits(1), y(1, kLogits.size());
  GumbelSoftmax<double> soft(kLogits.size(), 2.0, false);
  soft.forward(x.view(), y.view(), {.training = false});
  const auto p = softmax(kLogits, 2.0);
  for (std::size_t c = 0; c < p.size(); ++c)
    EXPECT_NEAR(y(0, c), p[c], 1e-15);
  GumbelSoftmax<double> hard(kLogits.size(), 2.0, true);
  hard.forward(x.view(), y.view(), {.training = false});
  for (std::size_t c = 0; c < p.size(); ++c)
    EXPECT_EQ(y(0, c), c == 4 ? 1.0 : 0.0);
  EXPECT_THROW(hard.forward(x.view(), y.view(), {.training = true}), std::logic_error);
}

}  // namespace
}  // namespace actlab
