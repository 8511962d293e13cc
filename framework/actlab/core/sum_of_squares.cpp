#include "actlab/core/sum_of_squares.hpp"

#include <cmath>
#include <cstddef>

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
    sum +=
        std::isfinite(block) ? static_cast<double>(block) : double_sum_of_squares(data + i, kBlock);
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
