#pragma once
// The generic layer for every elementwise activation A (see activation_functions.hpp): it owns the
// loops over the batch, A supplies only the element rules. Loops are `omp simd` so that the rules,
// inlined, vectorise (vector_math.hpp). An activation with a learnable parameter (PReLU's slope,
// Swish's beta) keeps it in the network's flat parameter buffer, shared or one per unit.
#include <concepts>
#include <memory>
#include <string>

#include "actlab/core/compute_team.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/row_parallel_layer.hpp"

namespace actlab {

template <typename A>
concept HasLearnableParam = requires {
  A::learnable;
};

// f' recomputed in backward from the kept x and y instead of kept (activation_functions.hpp).
template <typename A>
concept HasCheapDerivative = requires {
  requires A::cheap_derivative;
};

template <typename T, typename A>
class ElementwiseActivation final : public Layer<T>, public RowParallelLayer<T> {
 public:
  ElementwiseActivation(std::size_t width, const ActivationParams<double>& params) : width_(width) {
    for (std::size_t k = 0; k < params.size(); ++k)
      params_[k] = static_cast<T>(params[k]);
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

  // x, y: (batch, width). In training, f'(x) is computed in the same pass and kept for backward:
  // the rules then share their work (GELU's erfc, ELU's exp are evaluated once for f and f'), and
  // backward becomes a product. A cheap f' (ReLU's, tanh's) is not kept: backward recomputes it
  // from x and y, which it reads in place of the kept f', and the forward writes one matrix
  // instead of two.
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override {
    x_ = x;
    y_ = y;
    team_ = context.team;
    has_derivative_ = false;
    if (!learnable_) {
      const T* __restrict in = x.data;
      T* __restrict out = y.data;
      const std::size_t n = x.size();
      if (!context.training || HasCheapDerivative<A>) {
        parallel_for(team_, n, kElementsPerPart, 16,
                     [&](std::size_t, std::size_t begin, std::size_t end) {
                       f_only(in + begin, out + begin, end - begin);
                     });
        return;
      }
      derivative_.resize(x.rows, x.cols);  // within capacity after the first training batch
      T* __restrict d = derivative_.data();
      parallel_for(team_, n, kElementsPerPart, 16,
                   [&](std::size_t, std::size_t begin, std::size_t end) {
                     f_and_derivative(in + begin, out + begin, d + begin, end - begin);
                   });
      has_derivative_ = true;
      return;
    }
    if constexpr (HasLearnableParam<A>) {
      constexpr std::size_t k = A::learnable.param;
      const std::size_t cols = x.cols;
      for (std::size_t r = 0; r < x.rows; ++r) {
        const T* __restrict in = x.row(r);
        T* __restrict out = y.row(r);
        if (!per_unit_) {
          ActivationParams<T> p = params_;
          p[k] = value_.data[0];
#pragma omp simd
          for (std::size_t c = 0; c < cols; ++c)
            out[c] = A::f(in[c], p);
        } else {
          const T* __restrict theta = value_.data;
          // No `omp simd` here: its per-lane copies of p defeat the vectoriser, which on its own
          // scalarises p and vectorises the loop.
          const ActivationParams<T> base = params_;
          for (std::size_t c = 0; c < cols; ++c) {
            ActivationParams<T> p = base;
            p[k] = theta[c];
            out[c] = A::f(in[c], p);
          }
        }
      }
    }
  }

  // RowParallelLayer: y and f' of rows [first, last) (into the buffer begin_rows sized); dx of
  // those rows from the kept f' or recomputed from x and y, as backward does.
  bool runs_by_rows() const override {
    return !learnable_;
  }
  void begin_rows(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override {
    x_ = x;
    y_ = y;
    team_ = nullptr;
    has_derivative_ = context.training && !HasCheapDerivative<A>;
    if (has_derivative_) derivative_.resize(x.rows, x.cols);  // within capacity after a first batch
  }
  void forward_rows(MatrixView<const T> x, MatrixView<T> y, std::size_t first,
                    std::size_t last) override {
    const std::size_t offset = first * x.cols, n = (last - first) * x.cols;
    if (has_derivative_)
      f_and_derivative(x.data + offset, y.data + offset, derivative_.data() + offset, n);
    else
      f_only(x.data + offset, y.data + offset, n);
  }
  void backward_rows(MatrixView<const T> dy, MatrixView<const T>, MatrixView<T> dx,
                     std::span<const MatrixView<T>>, std::size_t first, std::size_t last) override {
    if (dx.data == nullptr) return;
    const std::size_t offset = first * dy.cols;
    product_with_derivative(dy.data + offset, dx.data + offset, offset, (last - first) * dy.cols);
  }

  bool elementwise_derivative(MatrixView<const T> x, MatrixView<T> y,
                              MatrixView<T> dydx) const override {
    if (!learnable_) {
      f_and_derivative(x.data, y.data, dydx.data, x.size());
      return true;
    }
    for (std::size_t r = 0; r < x.rows; ++r) {
      const T* __restrict in = x.row(r);
      T* __restrict out = y.row(r);
      T* __restrict d = dydx.row(r);
      ActivationParams<T> p = params_;
      for (std::size_t c = 0; c < x.cols; ++c) {
        if constexpr (HasLearnableParam<A>) {
          if (learnable_) p[A::learnable.param] = value_.data[per_unit_ ? c : 0];
        }
        out[c] = A::f(in[c], p);
        d[c] = A::df(in[c], out[c], p);
      }
    }
    return true;
  }

  // dx = dy ⊙ f'(x, y); for a learnable parameter θ also dθ += Σ_rows dy ⊙ ∂f/∂θ (summed over the
  // columns too when θ is shared).
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override {
    if (!learnable_) {
      if (dx.data == nullptr) return;
      parallel_for(team_, dy.size(), kElementsPerPart, 16,
                   [&](std::size_t, std::size_t begin, std::size_t end) {
                     product_with_derivative(dy.data + begin, dx.data + begin, begin, end - begin);
                   });
      return;
    }
    if constexpr (HasLearnableParam<A>) {
      constexpr std::size_t k = A::learnable.param;
      const std::size_t cols = dy.cols;
      // The first layer's dx is not needed, but θ's gradient still is.
      if (dx.data == nullptr) scratch_.resize(1, cols);
      for (std::size_t r = 0; r < dy.rows; ++r) {
        const T* __restrict g = dy.row(r);
        const T* __restrict in = x_.row(r);
        const T* __restrict out = y_.row(r);
        T* __restrict result = dx.data ? dx.row(r) : scratch_.data();
        if (!per_unit_) {
          ActivationParams<T> p = params_;
          p[k] = value_.data[0];
          T sum = 0;
#pragma omp simd reduction(+ : sum)
          for (std::size_t c = 0; c < cols; ++c) {
            result[c] = g[c] * A::df(in[c], out[c], p);
            sum += g[c] * A::dparam(in[c], out[c], p);
          }
          grad_.data[0] += sum;
        } else {
          const T* __restrict theta = value_.data;
          T* __restrict dtheta = grad_.data;
          const ActivationParams<T> base = params_;
          for (std::size_t c = 0; c < cols; ++c) {
            ActivationParams<T> p = base;
            p[k] = theta[c];
            result[c] = g[c] * A::df(in[c], out[c], p);
            dtheta[c] += g[c] * A::dparam(in[c], out[c], p);
          }
        }
      }
    }
  }

 private:
  // The three loops below are `flatten`: the element rules must be inlined into them for `omp simd`
  // to vectorise, and GCC's inliner may otherwise keep a large rule (GELU's) out of line once the
  // loops have several callers.

  // y = f(x) of n elements (an evaluation forward, activations without a learnable parameter).
  [[gnu::flatten]] void f_only(const T* __restrict x, T* __restrict y, std::size_t n) const {
    const ActivationParams<T> p = params_;
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i)
      y[i] = A::f(x[i], p);
  }

  // y = f(x) and d = f'(x) of n elements in one pass (activations without a learnable parameter).
  [[gnu::flatten]] void f_and_derivative(const T* __restrict x, T* __restrict y, T* __restrict d,
                                         std::size_t n) const {
    const ActivationParams<T> p = params_;
    // x and y held in registers: were x[i] re-read after the store to y[i], the compiler could not
    // prove it unchanged and would evaluate f's transcendental a second time inside df.
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) {
      const T xi = x[i];
      const T yi = A::f(xi, p);
      y[i] = yi;
      d[i] = A::df(xi, yi, p);
    }
  }

  // dx = dy ⊙ f'(x) of n elements starting at flat index `first` of the last forward's x (layers
  // without a learnable parameter): the kept f'(x) after a training forward, else f' afresh (the
  // same rule on the same x and y: the same values as kept ones).
  [[gnu::flatten]] void product_with_derivative(const T* __restrict dy, T* __restrict dx,
                                                std::size_t first, std::size_t n) const {
    if (has_derivative_) {
      const T* __restrict d = derivative_.data() + first;
#pragma omp simd
      for (std::size_t i = 0; i < n; ++i)
        dx[i] = dy[i] * d[i];
      return;
    }
    const ActivationParams<T> p = params_;
    const T* __restrict in = x_.data + first;
    const T* __restrict out = y_.data + first;
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i)
      dx[i] = dy[i] * A::df(in[i], out[i], p);
  }

  std::size_t width_;
  ActivationParams<T> params_{};
  bool learnable_ = false;
  bool per_unit_ = false;
  T initial_value_{};
  MatrixView<T> value_, grad_;
  MatrixView<const T> x_;
  MatrixView<const T> y_;
  ComputeTeam* team_ = nullptr;  // the last forward's team, which backward splits on too
  Matrix<T> scratch_;     // (1, width): dx of a first layer, computed alongside dθ and dropped
  Matrix<T> derivative_;  // (batch, width): f'(x) of the last training forward
  bool has_derivative_ = false;
};

template <typename A>
concept HasParamConstraint = requires(const ActivationParams<double>& p) {
  A::check_params(p);
};

// The registry entry of an elementwise activation struct A (activation_functions.hpp): how the
// built-ins are registered, and how a program of its own registers one with
// register_activation(elementwise_activation_info<A>()) (tests/consumer shows it).
template <typename A>
ActivationInfo elementwise_activation_info() {
  static_assert(A::params.size() <= kMaxActivationParams);
  ActivationInfo info;
  info.name = A::name;
  info.formula = A::formula;
  info.derivative = A::derivative;
  info.params.assign(A::params.begin(), A::params.end());
  info.properties = A::properties;
  if constexpr (HasLearnableParam<A>) info.learnable = A::learnable;
  if constexpr (HasParamConstraint<A>) info.check_params = A::check_params;
  info.make_float = [](std::size_t width, const ActivationParams<double>& p) {
    return std::unique_ptr<Layer<float>>(new ElementwiseActivation<float, A>(width, p));
  };
  info.make_double = [](std::size_t width, const ActivationParams<double>& p) {
    return std::unique_ptr<Layer<double>>(new ElementwiseActivation<double, A>(width, p));
  };
  return info;
}

}  // namespace actlab
