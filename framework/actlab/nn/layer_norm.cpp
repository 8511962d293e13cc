#include "actlab/nn/layer_norm.hpp"

#include <cmath>
#include <stdexcept>

namespace actlab {

template <typename T>
LayerNorm<T>::LayerNorm(std::size_t width, double eps, bool affine)
    : width_(width), eps_(eps), affine_(affine), dx_hat_(width) {
  if (!(eps > 0.0)) throw std::invalid_argument("LayerNorm: eps must be positive");
}

template <typename T>
std::vector<ParameterShape> LayerNorm<T>::parameter_shapes() const {
  if (!affine_) return {};
  return {{"weight", 1, width_}, {"bias", 1, width_}};
}

template <typename T>
void LayerNorm<T>::bind_parameters(std::span<const MatrixView<T>> values,
                                   std::span<const MatrixView<T>> grads) {
  if (!affine_) return;
  weight_ = values[0];
  bias_ = values[1];
  weight_grad_ = grads[0];
  bias_grad_ = grads[1];
}

template <typename T>
void LayerNorm<T>::initialize(Rng&) {
  if (!affine_) return;
  weight_.fill_with(T{1});
  bias_.fill_with(T{0});
}

// x, x̂, y: (batch, width)   γ, β: (1, width)   per row: y = γ x̂ + β,  x̂ = (x - μ)/√(σ² + eps)
template <typename T>
void LayerNorm<T>::forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext&) {
  const std::size_t rows = x.rows, cols = width_;
  x_hat_.resize(rows, cols);
  if (inv_std_.size() < rows) inv_std_.resize(rows);  // grows with the batch only
  const double n = static_cast<double>(cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* __restrict in = x.row(r);
    // Two passes in double: the row mean, then the squared deviations from it.
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (std::size_t c = 0; c < cols; ++c)
      sum += static_cast<double>(in[c]);
    const double mean = sum / n;
    double squares = 0;
#pragma omp simd reduction(+ : squares)
    for (std::size_t c = 0; c < cols; ++c) {
      const double d = static_cast<double>(in[c]) - mean;
      squares += d * d;
    }
    const T mu = static_cast<T>(mean);
    const T inv_std = static_cast<T>(1.0 / std::sqrt(squares / n + eps_));
    inv_std_[r] = inv_std;
    T* __restrict x_hat = x_hat_.data() + r * cols;
    T* __restrict out = y.row(r);
    if (affine_) {
      const T* __restrict gamma = weight_.data;
      const T* __restrict beta = bias_.data;
#pragma omp simd
      for (std::size_t c = 0; c < cols; ++c) {
        x_hat[c] = (in[c] - mu) * inv_std;
        out[c] = gamma[c] * x_hat[c] + beta[c];
      }
    } else {
#pragma omp simd
      for (std::size_t c = 0; c < cols; ++c) {
        x_hat[c] = (in[c] - mu) * inv_std;
        out[c] = x_hat[c];
      }
    }
  }
}

// dγ += Σ_rows dy ⊙ x̂   dβ += Σ_rows dy
// per row, with g = dy ⊙ γ:  dx = 1/√(σ² + eps) · (g - mean(g) - x̂ ⊙ mean(g ⊙ x̂))
template <typename T>
void LayerNorm<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  const std::size_t rows = dy.rows, cols = width_;
  const double n = static_cast<double>(cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* __restrict g = dy.row(r);
    const T* __restrict x_hat = x_hat_.data() + r * cols;
    if (affine_) {
      T* __restrict dgamma = weight_grad_.data;
      T* __restrict dbeta = bias_grad_.data;
#pragma omp simd
      for (std::size_t c = 0; c < cols; ++c) {
        dgamma[c] += g[c] * x_hat[c];
        dbeta[c] += g[c];
      }
    }
    if (dx.data == nullptr) continue;
    T* __restrict d = dx_hat_.data();
    const T* __restrict gamma = weight_.data;
    double sum = 0, sum_x_hat = 0;
#pragma omp simd reduction(+ : sum, sum_x_hat)
    for (std::size_t c = 0; c < cols; ++c) {
      d[c] = affine_ ? g[c] * gamma[c] : g[c];
      sum += static_cast<double>(d[c]);
      sum_x_hat += static_cast<double>(d[c]) * static_cast<double>(x_hat[c]);
    }
    const T mean_d = static_cast<T>(sum / n), mean_d_x_hat = static_cast<T>(sum_x_hat / n);
    const T inv_std = inv_std_[r];
    T* __restrict out = dx.row(r);
#pragma omp simd
    for (std::size_t c = 0; c < cols; ++c)
      out[c] = inv_std * (d[c] - mean_d - x_hat[c] * mean_d_x_hat);
  }
}

template class LayerNorm<float>;
template class LayerNorm<double>;

}  // namespace actlab
