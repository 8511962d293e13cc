#pragma once
// Vectorised transcendentals for the activation loops.
//
// glibc ships SIMD versions of expf, tanhf, erff, erfcf, log1pf, ... in libmvec (SSE, AVX2 and
// AVX-512 variants), but math.h declares them as SIMD-callable only under -ffast-math, which would
// also let the compiler assume there are no NaNs or infinities (and we must see those to report a
// diverged run). Declaring the functions `omp declare simd` ourselves gives the vector calls
// without fast-math: a loop under `#pragma omp simd` that calls std::exp(float) then calls
// _ZGV*N*v_expf. The vector variants are accurate to a few ulp; the golden tests bound the error.
//
// Written here instead: the normal distribution's Φ and φ together, for GELU, and a multiply-add
// that stays one instruction where the CPU has one.
#include <cmath>
#include <numbers>

extern "C" {
#pragma omp declare simd notinbranch
float expf(float) noexcept;
#pragma omp declare simd notinbranch
float expm1f(float) noexcept;
#pragma omp declare simd notinbranch
float logf(float) noexcept;
#pragma omp declare simd notinbranch
float log1pf(float) noexcept;
#pragma omp declare simd notinbranch
float tanhf(float) noexcept;
// double: the fused softmax cross-entropy works in double on float logits.
#pragma omp declare simd notinbranch
double exp(double) noexcept;
}

namespace actlab {

// a·b + c with one rounding where the CPU has an FMA instruction (FP_FAST_FMAF: -march=native on
// any x86-64 since 2013), with two elsewhere: std::fma would then be a call to a software fmaf,
// exact but slow, and the loop would no longer vectorise.
[[gnu::always_inline]] inline float multiply_add(float a, float b, float c) {
#ifdef FP_FAST_FMAF
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

template <typename T>
struct NormalCdfPdf {
  T cdf;  // Φ(x)
  T pdf;  // φ(x) = exp(-x²/2) / √(2π)
};

// Φ(x) = ½ erfc(-x/√2) and φ(x) in float, from one exponential. GELU needs both for its value and
// slope; libmvec's erfcf plus expf made GELU the most expensive pass of a training step besides the
// GEMMs (1.7 ns per element against 0.34 for expf alone), and erfcf loses accuracy in the tail
// (197 float ulps at x = -12.9).
//
// With z = |x|/√2, erfc(z) = exp(-z²) · erfcx(z), and exp(-z²) = exp(-x²/2) is φ's exponential.
// erfcx (smooth, from 1 at z = 0 down to ~1/(z√π)) is t · P(t - 0.58) with t = 1/(1 + z/2) and P a
// degree-8 polynomial fitted for relative error on z ∈ [0, 10.6] (beyond that exp(-z²) underflows,
// so the product is 0 whatever P gives). experiments/bench/fit_normal_cdf.py refits the
// coefficients and measures the error: 4.4e-8 in exact arithmetic. Evaluated in float, over every
// float x in [-15, 8] (experiments/bench/normal_cdf_accuracy checks them all), Φ is within 5.3e-7
// (8.8 ulps) and φ within 3.7e-7 of float64, relative, wherever they are normal floats; without an
// FMA instruction within 4.2e-6 and 4.0e-6 (mostly the rounding of x² in the far tail). Always
// inlined: a call would keep the loops that use it from vectorising.
[[gnu::always_inline]] inline NormalCdfPdf<float> normal_cdf_pdf(float x) {
  // |x| <= 20 keeps x² finite; exp(-x²/2) is already 0 in float from |x| ≈ 14.3 on.
  const float xc = x < -20.0f ? -20.0f : (x > 20.0f ? 20.0f : x);
  const float t = 1.0f / multiply_add(0.5f / std::numbers::sqrt2_v<float>, std::abs(xc), 1.0f);
  const float s = t - 0.58f;
  float p = -5.921552330e-02f;
  p = multiply_add(p, s, 1.052942965e-02f);
  p = multiply_add(p, s, 1.118340343e-01f);
  p = multiply_add(p, s, -5.244901776e-02f);
  p = multiply_add(p, s, -2.032231241e-01f);
  p = multiply_add(p, s, 8.518613130e-02f);
  p = multiply_add(p, s, 5.868514776e-01f);
  p = multiply_add(p, s, 7.790183425e-01f);
  p = multiply_add(p, s, 5.694087148e-01f);
  // x² = h + l exactly: exp(-h/2)·(1 - l/2) keeps the digits that rounding x² to h alone would
  // cost (|x²| · 2^-25 relative, 50 ulps at x = 10). Without an FMA, l is 0 and they are lost.
  const float h = xc * xc;
  const float l = multiply_add(xc, xc, -h);
  const float gauss = std::exp(-0.5f * h) * multiply_add(-0.5f, l, 1.0f);
  const float lower_tail = 0.5f * gauss * (p * t);  // Φ(-|x|)
  return {x > 0.0f ? 1.0f - lower_tail : lower_tail,
          gauss * static_cast<float>(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2)};
}

// The float64 reference (gradient checks): erfc and exp as the C library computes them.
inline NormalCdfPdf<double> normal_cdf_pdf(double x) {
  return {0.5 * std::erfc(-x / std::numbers::sqrt2),
          0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2 * std::exp(-0.5 * x * x)};
}

}  // namespace actlab
