#pragma once
// Σ x², the sum behind every L2 norm in the project (gradient norms, clipping, the probes' weight
// norms), so that all of them do the same arithmetic: a norm the probes record is the norm that
// clipping compares against max_norm.
#include <cstddef>
#include <span>

namespace actlab {

// In double. Floats are summed in blocks of 256 in float vector lanes (16 terms per lane, relative
// error ≲ 1e-6 per block), and the block sums in double: converting every element to double made
// the gradient-norm pass of a training step compute-bound (BENCHMARKS.md; training_bench
// --benchmark_filter=gradient_square_sum). A block whose float sum overflows
// is summed again in double, so the result is inf or NaN only where the double sum is; so is a
// block whose float squares underflow (values below about 4e-16), so that the norm of a vanishing
// gradient is as exact as any other. A fixed order for a given build: runs stay reproducible.
double sum_of_squares(std::span<const float> x);
double sum_of_squares(std::span<const double> x);

// The same sum, fed piece by piece: a pass that reads the values for another purpose (the
// optimizer update) adds each piece while it is in cache. Every piece but the last must hold a
// multiple of kSumOfSquaresBlock values; total() is then bit-identical to sum_of_squares() of the
// whole.
inline constexpr std::size_t kSumOfSquaresBlock = 256;
class SumOfSquares {
 public:
  void add(std::span<const float> piece);
  double total() const { return total_; }

 private:
  double total_ = 0;
};

}  // namespace actlab
