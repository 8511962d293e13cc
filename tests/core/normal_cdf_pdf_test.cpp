#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "actlab/core/vector_math.hpp"

namespace actlab {
namespace {

// Every 64th float of [-15, 8] (33 million x, every binade down to the smallest subnormal),
// evaluated in a vectorised loop as GELU's layer does, against the float64 reference. The bounds
// are the header's, measured over every float of the range, with no more room than that.
TEST(NormalCdfPdf, FloatAgreesWithFloat64OverTheRange) {
  std::vector<float> x;
  for (float end : {15.0f, 8.0f}) {
    const float sign = end == 15.0f ? -1.0f : 1.0f;
    for (std::uint32_t bits = 0; bits <= std::bit_cast<std::uint32_t>(end); bits += 64)
      x.push_back(sign * std::bit_cast<float>(bits));
  }
  std::vector<float> cdf(x.size()), pdf(x.size());
  const float* in = x.data();
  float* c = cdf.data();
  float* p = pdf.data();
  const std::size_t n = x.size();
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i) {
    const NormalCdfPdf<float> r = normal_cdf_pdf(in[i]);
    c[i] = r.cdf;
    p[i] = r.pdf;
  }
  double worst_cdf = 0, worst_pdf = 0, worst_slope = 0;
  constexpr double kNormal = std::numeric_limits<float>::min();
  for (std::size_t i = 0; i < n; ++i) {
    const double xi = in[i];
    const NormalCdfPdf<double> want = normal_cdf_pdf(xi);
    if (want.cdf >= kNormal) worst_cdf = std::max(worst_cdf, std::abs(c[i] / want.cdf - 1));
    if (want.pdf >= kNormal) worst_pdf = std::max(worst_pdf, std::abs(p[i] / want.pdf - 1));
    // GELU's slope Φ + xφ, as the layer forms it in float; it crosses 0, so relative to max(1,
    // |f'|).
    const double slope = want.cdf + xi * want.pdf;
    const double got = static_cast<double>(c[i] + in[i] * p[i]);
    worst_slope = std::max(worst_slope, std::abs(got - slope) / std::max(1.0, std::abs(slope)));
  }
#ifdef FP_FAST_FMAF
  EXPECT_LE(worst_cdf, 5.3e-7);
  EXPECT_LE(worst_pdf, 3.7e-7);
#else  // a build without an FMA instruction (ACTLAB_NATIVE=OFF on x86-64)
  EXPECT_LE(worst_cdf, 4.2e-6);
  EXPECT_LE(worst_pdf, 4.0e-6);
#endif
  EXPECT_LE(worst_slope, 2.3e-7);
}

TEST(NormalCdfPdf, ExtremesAreExactAndNanPropagates) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  constexpr float kMax = std::numeric_limits<float>::max();
  for (float x : {-kInf, -kMax, -1e10f, -20.0f, -14.5f}) {
    EXPECT_EQ(normal_cdf_pdf(x).cdf, 0.0f) << x;
    EXPECT_EQ(normal_cdf_pdf(x).pdf, 0.0f) << x;
  }
  EXPECT_EQ(normal_cdf_pdf(6.0f).cdf, 1.0f);
  for (float x : {20.0f, 1e10f, kMax, kInf}) {
    EXPECT_EQ(normal_cdf_pdf(x).cdf, 1.0f) << x;
    EXPECT_EQ(normal_cdf_pdf(x).pdf, 0.0f) << x;
  }
  EXPECT_NEAR(normal_cdf_pdf(0.0f).cdf, 0.5f, 3e-7f);
  EXPECT_NEAR(normal_cdf_pdf(0.0f).pdf, 0.3989422804f, 1e-7f);
  const NormalCdfPdf<float> nan = normal_cdf_pdf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_TRUE(std::isnan(nan.cdf));
  EXPECT_TRUE(std::isnan(nan.pdf));
}

}  // namespace
}  // namespace actlab
