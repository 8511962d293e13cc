#pragma once
// The generic layer for every elementwise activation A (see activation_functions.hpp): it owns the
// loops over the batch, A supplies only the element rules. Loops are `omp simd` so that the rules,
// inlined, vectorise (vector_math.hpp). An activation with a learnable parameter (PReLU's slope,
// Swish's beta) keeps it in the network's flat parameter buffer, shared or one per unit.
#include <concepts>
#include <string>

#include "actlab/nn/activation.hpp"

namespace actlab {

template <typename A>
concept HasLearnableParam = requires { A::learnable; };

template <typename T, typename A>
class ElementwiseActivation final : public Layer<T> {
 public:
  ElementwiseActivation(std::size_t width, const ActivationParams<double>& params) : width_(width) {
    for (std::size_t k = 0; k < params.size(); ++k) params_[k] = static_cast<T>(params[k]);
    if constexpr (HasLearnableParam<A>) {
      constexpr LearnableParam l = A::learnable;
      learnable_ = l.enabled_by < 0 || params[l.enabled_by] != 0.0;
      per_unit_ = l.per_unit_flag >= 0 && params[l.per_unit_flag] != 0.0;
      initial_value_ = params_[l.param];
    }
  }

  std::string kind() const override { return std::string(A::name); }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }

  std::vector<ParameterShape> parameter_shapes() const override {
    if constexpr (HasLearnableParam<A>) {
      if (learnable_)
        return {{std::string(A::params[A::learnable.param].name), 1, per_unit_ ? width_ : 1}};
    }
    return {};
  }
  void bind_parameters(std::span<const MatrixView<T>> values,
                       std::span<const MatrixView<T>> grads) override {
    if (!learnable_) return;
    value_ = values[0];
    grad_ = grads[0];
  }
  void initialize(Rng&) override {
    if (learnable_) value_.fill_with(initial_value_);
  }

  // x, y: (batch, width)
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext&) override {
    x_ = x;
    y_ = y;
    const std::size_t cols = x.cols;
    if (!learnable_) {
      const ActivationParams<T> p = params_;
      const T* __restrict in = x.data;
      T* __restrict out = y.data;
      const std::size_t n = x.size();
#pragma omp simd
      for (std::size_t i = 0; i < n; ++i) out[i] = A::f(in[i], p);
      return;
    }
    if constexpr (HasLearnableParam<A>) {
      constexpr int k = A::learnable.param;
      for (std::size_t r = 0; r < x.rows; ++r) {
        const T* __restrict in = x.row(r);
        T* __restrict out = y.row(r);
        ActivationParams<T> p = params_;
        if (!per_unit_) {
          p[k] = value_.data[0];
#pragma omp simd
          for (std::size_t c = 0; c < cols; ++c) out[c] = A::f(in[c], p);
        } else {
          for (std::size_t c = 0; c < cols; ++c) {
            p[k] = value_.data[c];
            out[c] = A::f(in[c], p);
          }
        }
      }
    }
  }

  // dx = dy ⊙ f'(x, y); for a learnable parameter θ also dθ += Σ dy ⊙ ∂f/∂θ.
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override {
    if (!learnable_) {
      if (dx.data == nullptr) return;
      const ActivationParams<T> p = params_;
      const T* __restrict g = dy.data;
      const T* __restrict in = x_.data;
      const T* __restrict out = y_.data;
      T* __restrict result = dx.data;
      const std::size_t n = dy.size();
#pragma omp simd
      for (std::size_t i = 0; i < n; ++i) result[i] = g[i] * A::df(in[i], out[i], p);
      return;
    }
    if constexpr (HasLearnableParam<A>) {
      constexpr int k = A::learnable.param;
      const std::size_t cols = dy.cols;
      T shared_sum = 0;
      for (std::size_t r = 0; r < dy.rows; ++r) {
        const T* g = dy.row(r);
        const T* in = x_.row(r);
        const T* out = y_.row(r);
        T* result = dx.data ? dx.row(r) : nullptr;
        ActivationParams<T> p = params_;
        for (std::size_t c = 0; c < cols; ++c) {
          p[k] = per_unit_ ? value_.data[c] : value_.data[0];
          if (result) result[c] = g[c] * A::df(in[c], out[c], p);
          const T d = g[c] * A::dparam(in[c], out[c], p);
          if (per_unit_)
            grad_.data[c] += d;
          else
            shared_sum += d;
        }
      }
      if (!per_unit_) grad_.data[0] += shared_sum;
    }
  }

 private:
  std::size_t width_;
  ActivationParams<T> params_{};
  bool learnable_ = false;
  bool per_unit_ = false;
  T initial_value_{};
  MatrixView<T> value_, grad_;
  MatrixView<const T> x_;
  MatrixView<const T> y_;
};

}  // namespace actlab
