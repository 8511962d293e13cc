// Every float x in [-15, 8] through normal_cdf_pdf (framework/actlab/core/vector_math.hpp), in a
// vectorised loop as GELU's layer evaluates it, against the float64 reference; and, for
// comparison, Φ as GELU computed it before: ½ erfcf(-x/√2) with libmvec's vector erfcf. Prints the
// largest relative error of Φ and φ (where the float64 value is a normal float) and the largest
// error of GELU's slope Φ + xφ relative to max(1, |slope|), each with the x where it occurs.
// About 2.1 billion x, a few minutes on one core:
//
//   build/release/bin/normal_cdf_accuracy
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

#include "actlab/core/vector_math.hpp"

extern "C" {
#pragma omp declare simd notinbranch
float erfcf(float) noexcept;
}

namespace {

struct Worst {
  double error = 0;
  float x = 0;
  void update(double e, float at) {
    if (e > error) {
      error = e;
      x = at;
    }
  }
};

}  // namespace

int main() {
  constexpr double kUlp = 0x1p-24;  // a float ulp is 2^-23 to 2^-24 of the value: ulps counted high
  constexpr double kNormal = std::numeric_limits<float>::min();
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::vector<float> x(kChunk), cdf(kChunk), pdf(kChunk), old_cdf(kChunk);
  Worst worst_cdf, worst_pdf, worst_slope, worst_old_cdf;
  for (const float end : {-15.0f, 8.0f}) {
    const std::uint32_t last = std::bit_cast<std::uint32_t>(std::abs(end));
    for (std::uint64_t first = 0; first <= last; first += kChunk) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, last - first + 1));
      for (std::size_t i = 0; i < n; ++i)
        x[i] = std::copysign(std::bit_cast<float>(static_cast<std::uint32_t>(first + i)), end);
      const float* in = x.data();
      float *c = cdf.data(), *p = pdf.data(), *o = old_cdf.data();
#pragma omp simd
      for (std::size_t i = 0; i < n; ++i) {
        const actlab::NormalCdfPdf<float> r = actlab::normal_cdf_pdf(in[i]);
        c[i] = r.cdf;
        p[i] = r.pdf;
        o[i] = 0.5f * erfcf(-0.70710678118654752f * in[i]);
      }
      for (std::size_t i = 0; i < n; ++i) {
        const actlab::NormalCdfPdf<double> want =
            actlab::normal_cdf_pdf(static_cast<double>(in[i]));
        if (want.cdf >= kNormal) {
          worst_cdf.update(std::abs(c[i] / want.cdf - 1), in[i]);
          worst_old_cdf.update(std::abs(o[i] / want.cdf - 1), in[i]);
        }
        if (want.pdf >= kNormal) worst_pdf.update(std::abs(p[i] / want.pdf - 1), in[i]);
        const double slope = want.cdf + static_cast<double>(in[i]) * want.pdf;
        const double got = static_cast<double>(c[i] + in[i] * p[i]);
        worst_slope.update(std::abs(got - slope) / std::max(1.0, std::abs(slope)), in[i]);
      }
    }
  }
  std::printf("every float in [-15, 8], against float64 (ulps: relative error / 2^-24)\n");
  std::printf("normal_cdf_pdf  Φ: %.3g (%.1f ulps) at x = %g\n", worst_cdf.error,
              worst_cdf.error / kUlp, static_cast<double>(worst_cdf.x));
  std::printf("normal_cdf_pdf  φ: %.3g (%.1f ulps) at x = %g\n", worst_pdf.error,
              worst_pdf.error / kUlp, static_cast<double>(worst_pdf.x));
  std::printf("GELU slope Φ + xφ: %.3g at x = %g\n", worst_slope.error,
              static_cast<double>(worst_slope.x));
  std::printf("½ erfcf(-x/√2)  Φ: %.3g (%.1f ulps) at x = %g\n", worst_old_cdf.error,
              worst_old_cdf.error / kUlp, static_cast<double>(worst_old_cdf.x));
  return 0;
}
