#pragma once
// Subnormal floats (below 2⁻¹²⁶ ≈ 1.2e-38 in magnitude) treated as zero within a scope.
//
// An optimizer's state decays geometrically where the gradient is zero: SGD's momentum of a dead
// ReLU unit is multiplied by 0.9 every step, Adam's moments by β₁ and β₂. It sinks into the
// subnormal range within about a thousand steps and stays there: 0.9 · k·2⁻¹⁴⁹ rounds back to
// k·2⁻¹⁴⁹ for k ≤ 4, so it never reaches zero. x86 CPUs multiply subnormals through a microcode
// assist that takes about a hundred cycles, so a few thousand subnormal entries slow every update
// measurably (BENCHMARKS.md, "Design decisions"). Within this scope they become zero instead, as
// under torch.set_flush_denormal(True) in PyTorch or TensorFlow's ScopedFlushDenormal around its
// kernels. A parameter's value is unaffected unless its magnitude is below about 2⁻¹⁰², where a
// subnormal step would still have changed it.
//
// The mode is the thread's floating-point control register (MXCSR's FTZ and DAZ bits on x86-64,
// FPCR's FZ on AArch64; elsewhere nothing changes). Set it only around an opaque call (a virtual
// function, a function in another translation unit): the compiler does not know that the mode
// changes arithmetic, and could otherwise move floating-point work across the switch.
#include <cstdint>

#if defined(__x86_64__) || defined(__SSE2__)
#include <xmmintrin.h>
#endif

namespace actlab {

class FlushSubnormalsToZero {
 public:
  FlushSubnormalsToZero() {
#if defined(__x86_64__) || defined(__SSE2__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#elif defined(__aarch64__)
    std::uint64_t fpcr;
    asm volatile("mrs %0, fpcr" : "=r"(fpcr));
    saved_ = fpcr;
    asm volatile("msr fpcr, %0" : : "r"(fpcr | kFlushToZero));
#endif
  }
  ~FlushSubnormalsToZero() {
#if defined(__x86_64__) || defined(__SSE2__)
    _mm_setcsr(saved_);
#elif defined(__aarch64__)
    asm volatile("msr fpcr, %0" : : "r"(saved_));
#endif
  }
  FlushSubnormalsToZero(const FlushSubnormalsToZero&) = delete;
  FlushSubnormalsToZero& operator=(const FlushSubnormalsToZero&) = delete;

 private:
#if defined(__x86_64__) || defined(__SSE2__)
  static constexpr unsigned kFlushToZero = 1u << 15;      // results that would be subnormal: 0
  static constexpr unsigned kDenormalsAreZero = 1u << 6;  // subnormal operands read as 0
  unsigned saved_ = 0;                                    // MXCSR
#elif defined(__aarch64__)
  static constexpr std::uint64_t kFlushToZero = std::uint64_t{1} << 24;  // FZ: both of the above
  std::uint64_t saved_ = 0;                                              // FPCR
#endif
};

}  // namespace actlab
