#pragma once
// Vectorised transcendentals for the activation loops.
//
// glibc ships SIMD versions of expf, tanhf, erff, erfcf, log1pf, ... in libmvec (SSE, AVX2 and
// AVX-512 variants), but math.h declares them as SIMD-callable only under -ffast-math, which would
// also let the compiler assume there are no NaNs or infinities (and we must see those to report a
// diverged run). Declaring the functions `omp declare simd` ourselves gives the vector calls
// without fast-math: a loop under `#pragma omp simd` that calls std::exp(float) then calls
// _ZGV*N*v_expf. The vector variants are accurate to a few ulp; the golden tests bound the error.
#include <cmath>

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
#pragma omp declare simd notinbranch
float erff(float) noexcept;
#pragma omp declare simd notinbranch
float erfcf(float) noexcept;
}
