#include "actlab/nn/dropout.hpp"

#include <algorithm>
#include <stdexcept>

namespace actlab {

template <typename T>
Dropout<T>::Dropout(std::size_t width, double p) : width_(width), p_(p) {
  if (!(p >= 0.0 && p < 1.0))
    throw std::invalid_argument("Dropout: p must be in [0, 1), got " + std::to_string(p));
}

// x, y, mask: (batch, width)   y = x ⊙ mask,  mask = [u >= p] / (1 - p),  u ~ U[0, 1)
template <typename T>
void Dropout<T>::forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) {
  training_ = context.training;
  if (!training_) {
    if (y.data != x.data) std::copy(x.data, x.data + x.size(), y.data);
    return;
  }
  if (context.rng == nullptr) throw std::logic_error("Dropout: training needs a random stream");
  // P(u >= p) = 1 - p: an element survives with probability 1 - p, as torch's bernoulli(1 - p).
  const auto keep = static_cast<T>(1.0 / (1.0 - p_));
  mask_.resize(x.rows, x.cols);
  T* mask = mask_.data();
  Rng& rng = *context.rng;
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i)
    mask[i] = rng.uniform() >= p_ ? keep : T{0};
  const T* __restrict in = x.data;
  T* __restrict out = y.data;
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i)
    out[i] = in[i] * mask[i];
}

template <typename T>
void Dropout<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  if (dx.data == nullptr) return;  // no parameters: nothing else to compute
  const std::size_t n = dy.size();
  if (!training_) {
    std::copy(dy.data, dy.data + n, dx.data);
    return;
  }
  const T* __restrict g = dy.data;
  const T* __restrict mask = mask_.data();
  T* __restrict out = dx.data;
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i)
    out[i] = g[i] * mask[i];
}

template class Dropout<float>;
template class Dropout<double>;

}  // namespace actlab
