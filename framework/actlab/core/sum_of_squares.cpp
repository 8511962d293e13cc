#include "actlab/core/sum_of_squares.hpp"

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace actlab {
namespace {

template <typename T>
double double_sum_of_squares(const T* x, std::size_t n) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i)
    sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return sum;
}

// The smallest float block sum taken as it is. Squares below 2⁻¹²⁶ are subnormal floats, with fewer
// significant bits the smaller they are, and those below 2⁻¹⁵⁰ round to 0: a block's 256 squares
// lose at most 256 · 2⁻¹²⁶ = 2⁻¹¹⁸ to underflow (even with subnormals flushed), 2⁻²⁴ of any sum
// from 2⁻⁹⁴ (5e-29) up. A smaller block, values of about 4e-16 and less (a vanishing gradient), is
// summed again in double, where such squares are exact; unless it is all zeros (see all_zero).
constexpr float kSmallestFloatBlock = 0x1p-94f;

// Whether all n values are ±0. A dead unit's gradient is exactly zero, and its blocks are common
// (a layer with many dead ReLU units): testing them costs a fraction of summing them in double,
// which made such a gradient's sum nearly twice as slow. A block of tiny values whose squares all
// round to 0 fails the test and is summed in double.
bool all_zero(const float* x, std::size_t n) {
  std::uint32_t magnitude_bits = 0;
#pragma omp simd reduction(| : magnitude_bits)
  for (std::size_t i = 0; i < n; ++i)
    magnitude_bits |= std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu;
  return magnitude_bits == 0;
}

}  // namespace

void SumOfSquares::add(std::span<const float> piece) {
  constexpr std::size_t kBlock = kSumOfSquaresBlock;
  const float* data = piece.data();
  const std::size_t n = piece.size();
  double sum = total_;
  std::size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float block = 0;
#pragma omp simd reduction(+ : block)
    for (std::size_t k = 0; k < kBlock; ++k)
      block += data[i + k] * data[i + k];
    // Written so that NaN, too, takes the double sum (and propagates).
    if (block >= kSmallestFloatBlock && std::isfinite(block))
      sum += static_cast<double>(block);
    else if (!(block == 0 && all_zero(data + i, kBlock)))
      sum += double_sum_of_squares(data + i, kBlock);
  }
  total_ = sum + double_sum_of_squares(data + i, n - i);
}

double sum_of_squares(std::span<const float> x) {
  SumOfSquares sum;
  sum.add(x);
  return sum.total();
}

double sum_of_squares(std::span<const double> x) {
  return double_sum_of_squares(x.data(), x.size());
}

}  // namespace actlab
