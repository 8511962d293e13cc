#include "actlab/nn/rrelu.hpp"

#include <stdexcept>

#include "actlab/core/error.hpp"
#include "actlab/core/random_fill.hpp"

namespace actlab {

template <typename T>
Rrelu<T>::Rrelu(std::size_t width, double lower, double upper)
    : width_(width), lower_(lower), upper_(upper) {}

// x, y: (batch, width)
template <typename T>
void Rrelu<T>::forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) {
  x_ = x;
  training_ = context.training;
  const std::size_t n = x.size();
  if (!training_) {
    const auto slope = static_cast<T>(0.5 * (lower_ + upper_));
    const T* __restrict in = x.data;
    T* __restrict out = y.data;
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i)
      out[i] = in[i] > T{0} ? in[i] : slope * in[i];
    return;
  }
  if (context.rng == nullptr) throw std::logic_error("rrelu: a training forward needs an rng");
  // One uniform u per element, then a = lower + (upper - lower) u where x <= 0 and a = 1 where
  // x > 0. PyTorch draws only for x <= 0; drawing for every element gives the same distribution
  // and keeps the loop free of data-dependent branches (random signs would mispredict half of
  // them).
  slopes_.resize(x.rows, x.cols);
  T* __restrict slope = slopes_.data();
  fill_uniform_open(*context.rng, std::span<T>(slope, n));
  const auto lower = static_cast<T>(lower_), range = static_cast<T>(upper_ - lower_);
  const T* __restrict in = x.data;
  T* __restrict out = y.data;
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i) {
    slope[i] = in[i] > T{0} ? T{1} : lower + range * slope[i];
    out[i] = slope[i] * in[i];
  }
}

// dy, dx: (batch, width)
template <typename T>
void Rrelu<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  if (dx.data == nullptr) return;
  const std::size_t n = dy.size();
  const T* __restrict g = dy.data;
  T* __restrict result = dx.data;
  if (training_) {
    const T* __restrict slope = slopes_.data();
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i)
      result[i] = g[i] * slope[i];
    return;
  }
  // At 0 the slope is the negative side's, as leaky_relu (PyTorch evaluates rrelu as leaky_relu).
  const auto mean_slope = static_cast<T>(0.5 * (lower_ + upper_));
  const T* __restrict in = x_.data;
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i)
    result[i] = in[i] > T{0} ? g[i] : g[i] * mean_slope;
}

template class Rrelu<float>;
template class Rrelu<double>;

ActivationInfo rrelu_info() {
  ActivationInfo info;
  info.name = "rrelu";
  info.formula =
      "x if x > 0 else a x;  a ~ U(lower, upper) per element (training), "
      "a = (lower + upper)/2 (evaluation)";
  info.derivative = "1 if x > 0 else a (the slope drawn in the forward pass)";
  info.params = {
      {.name = "lower",
       .default_value = 1.0 / 8,
       .min = 0,
       .max = 1,
       .meaning = "smallest negative slope"},
      {.name = "upper",
       .default_value = 1.0 / 3,
       .min = 0,
       .max = 1,
       .meaning = "largest negative slope"},
  };
  info.properties = {
      .output_range = "(-inf, inf)", .monotonic = true, .smooth = false, .zero_centred = true};
  info.check_params = [](const ActivationParams<double>& p) {
    if (p[0] > p[1])
      throw ConfigError("activation 'rrelu' needs lower <= upper, got lower = " +
                        std::to_string(p[0]) + ", upper = " + std::to_string(p[1]));
  };
  info.make_float = [](std::size_t width, const ActivationParams<double>& p) {
    return std::unique_ptr<Layer<float>>(new Rrelu<float>(width, p[0], p[1]));
  };
  info.make_double = [](std::size_t width, const ActivationParams<double>& p) {
    return std::unique_ptr<Layer<double>>(new Rrelu<double>(width, p[0], p[1]));
  };
  return info;
}

}  // namespace actlab
