#include "actlab/nn/gumbel_softmax.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "actlab/core/random_fill.hpp"
#include "actlab/core/vector_math.hpp"

namespace actlab {
template <typename T>
GumbelSoftmax<T>::GumbelSoftmax(std::size_t width, double tau, bool hard)
    : width_(width), tau_(static_cast<T>(tau)), hard_(hard) {}

// x, y: (batch, classes)
template <typename T>
void GumbelSoftmax<T>::forward(MatrixView<const T> x, MatrixView<T> y,
                               const ForwardContext& context) {
  if (context.training && context.rng == nullptr)
    throw std::logic_error("gumbel_softmax: a training forward needs an rng");
  soft_.resize(x.rows, x.cols);
  const std::size_t k = x.cols;
  const T inv_tau = T{1} / tau_;
  // Gumbel noise g = -log(-log u), u uniform in the open interval (0, 1), so g is finite: with
  // float's 23-bit u, g lies in [-2.81, 16.6], cutting off tails of probability < 1e-7 each.
  if (context.training) fill_uniform_open(*context.rng, std::span<T>(soft_.data(), soft_.size()));
  for (std::size_t r = 0; r < x.rows; ++r) {
    const T* __restrict in = x.row(r);
    T* __restrict s = soft_.data() + r * k;
    if (context.training) {
#pragma omp simd
      for (std::size_t c = 0; c < k; ++c)
        s[c] = in[c] - std::log(-std::log(s[c]));
    } else {
      std::copy(in, in + k, s);
    }
    // softmax(z / tau) as exp((z - max z) / tau) / Σ: every exp argument is <= 0, and the maximum
    // is subtracted before dividing by tau, so that a small tau cannot turn large finite logits
    // into inf - inf.
    std::size_t argmax = 0;
    for (std::size_t c = 1; c < k; ++c)
      if (s[c] > s[argmax]) argmax = c;
    const T max = s[argmax];
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (std::size_t c = 0; c < k; ++c) {
      s[c] = std::exp((s[c] - max) * inv_tau);
      sum += s[c];
    }
    const T inv_sum = T{1} / sum;
#pragma omp simd
    for (std::size_t c = 0; c < k; ++c)
      s[c] *= inv_sum;
    T* out = y.row(r);
    if (hard_) {
      std::fill(out, out + k, T{0});
      out[argmax] = T{1};  // the argmax of the soft sample is the argmax of (x + g)
    } else {
      std::copy(s, s + k, out);
    }
  }
}

// The softmax Jacobian (diag(s) - s sᵀ) / tau applied to dy, row by row. When hard, the one-hot y
// is y_hard - stop_gradient(s) + s in PyTorch, so the gradient is the soft one.
template <typename T>
void GumbelSoftmax<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  if (dx.data == nullptr) return;
  const std::size_t k = dy.cols;
  const T inv_tau = T{1} / tau_;
  for (std::size_t r = 0; r < dy.rows; ++r) {
    const T* __restrict g = dy.row(r);
    const T* __restrict s = soft_.data() + r * k;
    T* __restrict result = dx.row(r);
    T dot = 0;
#pragma omp simd reduction(+ : dot)
    for (std::size_t c = 0; c < k; ++c)
      dot += g[c] * s[c];
#pragma omp simd
    for (std::size_t c = 0; c < k; ++c)
      result[c] = s[c] * (g[c] - dot) * inv_tau;
  }
}

template class GumbelSoftmax<float>;
template class GumbelSoftmax<double>;

ActivationInfo gumbel_softmax_info() {
  ActivationInfo info;
  info.name = "gumbel_softmax";
  info.formula = "softmax((x + g) / tau), g ~ Gumbel(0, 1) in training;  one_hot(argmax) when hard";
  info.derivative = "(diag(s) - s sᵀ) / tau, s the soft sample;  hard: the same (straight-through)";
  info.params = {
      {.name = "tau", .default_value = 1.0, .min = 0, .min_open = true, .meaning = "temperature"},
      {.name = "hard",
       .default_value = 0,
       .min = 0,
       .max = 1,
       .kind = ParamKind::kBool,
       .meaning = "one-hot samples with the soft gradient (straight-through)"},
  };
  info.properties = {.output_range = "[0, 1], rows sum to 1",
                     .monotonic = false,
                     .smooth = true,
                     .zero_centred = false,
                     .saturates = Saturation::kBoth};
  info.make_float = [](std::size_t width, const ActivationParams<double>& p) {
    return std::unique_ptr<Layer<float>>(new GumbelSoftmax<float>(width, p[0], p[1] != 0.0));
  };
  info.make_double = [](std::size_t width, const ActivationParams<double>& p) {
    return std::unique_ptr<Layer<double>>(new GumbelSoftmax<double>(width, p[0], p[1] != 0.0));
  };
  info.elementwise = false;
  info.output_side = true;
  return info;
}

}  // namespace actlab
