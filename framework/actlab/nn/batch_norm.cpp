#include "actlab/nn/batch_norm.hpp"

#include <cmath>
#include <stdexcept>

namespace actlab {

template <typename T>
BatchNorm<T>::BatchNorm(std::size_t width, double momentum, double eps, bool affine)
    : width_(width),
      momentum_(momentum),
      eps_(eps),
      affine_(affine),
      inv_std_(width),
      mean_(width),
      scale_(width),
      mean_dy_(width),
      mean_dy_x_hat_(width),
      sum_(width),
      sum2_(width) {
  if (!(momentum >= 0.0 && momentum <= 1.0))
    throw std::invalid_argument("BatchNorm: momentum must be in [0, 1]");
  if (!(eps > 0.0)) throw std::invalid_argument("BatchNorm: eps must be positive");
}

template <typename T>
std::vector<ParameterShape> BatchNorm<T>::parameter_shapes() const {
  if (!affine_) return {};
  return {{"weight", 1, width_}, {"bias", 1, width_}};
}

template <typename T>
void BatchNorm<T>::bind_parameters(std::span<const MatrixView<T>> values,
                                   std::span<const MatrixView<T>> grads) {
  if (!affine_) return;
  weight_ = values[0];
  bias_ = values[1];
  weight_grad_ = grads[0];
  bias_grad_ = grads[1];
}

template <typename T>
std::vector<ParameterShape> BatchNorm<T>::state_shapes() const {
  return {{"running_mean", 1, width_}, {"running_var", 1, width_}};
}

template <typename T>
void BatchNorm<T>::bind_state(std::span<const MatrixView<T>> state) {
  running_mean_ = state[0];
  running_var_ = state[1];
}

template <typename T>
void BatchNorm<T>::initialize(Rng&) {
  if (affine_) {
    weight_.fill_with(T{1});
    bias_.fill_with(T{0});
  }
  if (running_mean_.data != nullptr) {
    running_mean_.fill_with(T{0});
    running_var_.fill_with(T{1});
  }
}

// x, x̂, y: (batch, width)   μ, σ², γ, β: (1, width)   y = γ x̂ + β,  x̂ = (x - μ)/√(σ² + eps)
template <typename T>
void BatchNorm<T>::forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) {
  if (running_mean_.data == nullptr)
    throw std::logic_error("BatchNorm: bind_state() must come before forward()");
  training_ = context.training;
  const std::size_t rows = x.rows, cols = width_;
  x_hat_.resize(rows, cols);
  if (training_) {
    if (rows < 2)
      throw std::invalid_argument(
          "BatchNorm: training needs at least 2 rows per batch (as torch.nn.BatchNorm1d)");
    // Two passes (mean, then squared deviations), accumulated in double: exact enough for float
    // batches of thousands of rows without the cancellation of E[x²] - E[x]².
    std::fill(sum_.begin(), sum_.end(), 0.0);
    std::fill(sum2_.begin(), sum2_.end(), 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
      const T* row = x.row(r);
      for (std::size_t c = 0; c < cols; ++c)
        sum_[c] += static_cast<double>(row[c]);
    }
    const double n = static_cast<double>(rows);
    for (std::size_t c = 0; c < cols; ++c)
      sum_[c] /= n;  // now the mean
    for (std::size_t r = 0; r < rows; ++r) {
      const T* row = x.row(r);
      for (std::size_t c = 0; c < cols; ++c) {
        const double d = static_cast<double>(row[c]) - sum_[c];
        sum2_[c] += d * d;
      }
    }
    const double m = momentum_;
    for (std::size_t c = 0; c < cols; ++c) {
      const double variance = sum2_[c] / n;  // biased: what normalises the batch
      mean_[c] = static_cast<T>(sum_[c]);
      inv_std_[c] = static_cast<T>(1.0 / std::sqrt(variance + eps_));
      const double unbiased = sum2_[c] / (n - 1.0);
      running_mean_.data[c] =
          static_cast<T>((1.0 - m) * static_cast<double>(running_mean_.data[c]) + m * sum_[c]);
      running_var_.data[c] =
          static_cast<T>((1.0 - m) * static_cast<double>(running_var_.data[c]) + m * unbiased);
    }
  } else {
    for (std::size_t c = 0; c < cols; ++c) {
      mean_[c] = running_mean_.data[c];
      inv_std_[c] =
          static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var_.data[c]) + eps_));
    }
  }
  const T* __restrict mu = mean_.data();
  const T* __restrict inv_std = inv_std_.data();
  const T* __restrict gamma = affine_ ? weight_.data : nullptr;
  const T* __restrict beta = affine_ ? bias_.data : nullptr;
  for (std::size_t r = 0; r < rows; ++r) {
    const T* __restrict in = x.row(r);
    T* __restrict x_hat = x_hat_.data() + r * cols;
    T* __restrict out = y.row(r);
#pragma omp simd
    for (std::size_t c = 0; c < cols; ++c) {
      x_hat[c] = (in[c] - mu[c]) * inv_std[c];
      out[c] = affine_ ? gamma[c] * x_hat[c] + beta[c] : x_hat[c];
    }
  }
}

// dγ += Σ_rows dy ⊙ x̂   dβ += Σ_rows dy
// training (μ and σ² depend on x):  dx = γ/√(σ² + eps) · (dy - mean(dy) - x̂ ⊙ mean(dy ⊙ x̂))
// evaluation (constants):           dx = γ/√(running_var + eps) · dy
template <typename T>
void BatchNorm<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  const std::size_t rows = dy.rows, cols = width_;
  std::fill(sum_.begin(), sum_.end(), 0.0);
  std::fill(sum2_.begin(), sum2_.end(), 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* g = dy.row(r);
    const T* x_hat = x_hat_.data() + r * cols;
    for (std::size_t c = 0; c < cols; ++c) {
      sum_[c] += static_cast<double>(g[c]);
      sum2_[c] += static_cast<double>(g[c]) * static_cast<double>(x_hat[c]);
    }
  }
  if (affine_) {
    for (std::size_t c = 0; c < cols; ++c) {
      weight_grad_.data[c] += static_cast<T>(sum2_[c]);
      bias_grad_.data[c] += static_cast<T>(sum_[c]);
    }
  }
  if (dx.data == nullptr) return;
  const double n = static_cast<double>(rows);
  for (std::size_t c = 0; c < cols; ++c) {
    scale_[c] = affine_ ? weight_.data[c] * inv_std_[c] : inv_std_[c];
    mean_dy_[c] = training_ ? static_cast<T>(sum_[c] / n) : T{0};
    mean_dy_x_hat_[c] = training_ ? static_cast<T>(sum2_[c] / n) : T{0};
  }
  const T* __restrict scale = scale_.data();
  const T* __restrict mean_dy = mean_dy_.data();
  const T* __restrict mean_dy_x_hat = mean_dy_x_hat_.data();
  for (std::size_t r = 0; r < rows; ++r) {
    const T* __restrict g = dy.row(r);
    const T* __restrict x_hat = x_hat_.data() + r * cols;
    T* __restrict out = dx.row(r);
#pragma omp simd
    for (std::size_t c = 0; c < cols; ++c)
      out[c] = scale[c] * (g[c] - mean_dy[c] - x_hat[c] * mean_dy_x_hat[c]);
  }
}

template class BatchNorm<float>;
template class BatchNorm<double>;

}  // namespace actlab
