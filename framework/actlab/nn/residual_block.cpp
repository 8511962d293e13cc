#include "actlab/nn/residual_block.hpp"

#include <algorithm>
#include <stdexcept>

#include "actlab/nn/batch_norm.hpp"
#include "actlab/nn/layer_norm.hpp"

namespace actlab {
namespace {

// Prefixes every shape's name with "<part>." so that the block's tensors say where they belong.
void append_shapes(std::vector<ParameterShape>& out, std::vector<ParameterShape> shapes,
                   const std::string& part) {
  for (auto& s : shapes) {
    s.name = part + "." + s.name;
    out.push_back(std::move(s));
  }
}

// A gated activation halves its input; the Linear after it maps what is left back to `width`.
std::size_t activation_output_width(const ActivationConfig& activation, std::size_t width) {
  const std::size_t multiplier = activation_entry(activation).width_multiplier;
  if (width % multiplier != 0)
    throw std::invalid_argument("ResidualBlock: " + activation.name +
                                " needs a width divisible by " + std::to_string(multiplier) +
                                ", got " + std::to_string(width));
  return width / multiplier;
}

}  // namespace

std::string_view norm_kind_name(NormKind kind) {
  switch (kind) {
    case NormKind::kNone:
      return "none";
    case NormKind::kBatchNorm:
      return "batchnorm";
    case NormKind::kLayerNorm:
      return "layernorm";
  }
  return "?";
}

template <typename T>
std::unique_ptr<Layer<T>> make_norm_layer(const NormSpec& spec, std::size_t width) {
  switch (spec.kind) {
    case NormKind::kNone:
      return nullptr;
    case NormKind::kBatchNorm:
      return std::make_unique<BatchNorm<T>>(width, spec.momentum, spec.eps, spec.affine);
    case NormKind::kLayerNorm:
      return std::make_unique<LayerNorm<T>>(width, spec.eps, spec.affine);
  }
  return nullptr;
}

template <typename T>
ResidualBlock<T>::ResidualBlock(std::size_t width, const NormSpec& norm,
                                const ActivationConfig& activation, InitializerSpec init,
                                double bias_init)
    : width_(width),
      norm_(make_norm_layer<T>(norm, width)),
      activation_(make_activation_layer<T>(activation, width)),
      linear_(activation_output_width(activation, width), width, init, bias_init) {
  if (norm_) norm_params_ = norm_->parameter_shapes().size();
  activation_params_ = activation_->parameter_shapes().size();
}

template <typename T>
std::vector<ParameterShape> ResidualBlock<T>::parameter_shapes() const {
  std::vector<ParameterShape> shapes;
  if (norm_) append_shapes(shapes, norm_->parameter_shapes(), "norm");
  append_shapes(shapes, activation_->parameter_shapes(), "activation");
  append_shapes(shapes, linear_.parameter_shapes(), "linear");
  return shapes;
}

template <typename T>
void ResidualBlock<T>::bind_parameters(std::span<const MatrixView<T>> values,
                                       std::span<const MatrixView<T>> grads) {
  std::size_t first = 0;
  if (norm_)
    norm_->bind_parameters(values.subspan(first, norm_params_), grads.subspan(first, norm_params_));
  first += norm_params_;
  activation_->bind_parameters(values.subspan(first, activation_params_),
                               grads.subspan(first, activation_params_));
  first += activation_params_;
  linear_.bind_parameters(values.subspan(first), grads.subspan(first));
}

template <typename T>
std::vector<ParameterShape> ResidualBlock<T>::state_shapes() const {
  std::vector<ParameterShape> shapes;
  if (norm_) append_shapes(shapes, norm_->state_shapes(), "norm");
  return shapes;
}

template <typename T>
void ResidualBlock<T>::bind_state(std::span<const MatrixView<T>> state) {
  if (norm_) norm_->bind_state(state);  // only the norm keeps state
}

template <typename T>
void ResidualBlock<T>::initialize(Rng& rng) {
  if (norm_) norm_->initialize(rng);
  activation_->initialize(rng);
  linear_.initialize(rng);
}

// x: (batch, width) -> n = Norm(x): (batch, width) -> a = f(n): (batch, hidden)
//   -> y = x + a Wᵀ + b: (batch, width)
template <typename T>
void ResidualBlock<T>::forward(MatrixView<const T> x, MatrixView<T> y,
                               const ForwardContext& context) {
  const std::size_t rows = x.rows;
  activation_input_ = x;
  if (norm_) {
    normalized_.resize(rows, width_);
    norm_->forward(x, normalized_.view(), context);
    activation_input_ = normalized_.view();
  }
  activated_.resize(rows, activation_->output_size());
  activation_->forward(activation_input_, activated_.view(), context);
  linear_.forward(activated_.view(), y, context);
  const T* __restrict in = x.data;
  T* __restrict out = y.data;
  const std::size_t n = y.size();
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i)
    out[i] += in[i];
}

// dy: (batch, width)  ->  da = dy W: (batch, hidden)  ->  dn = f'-backward(da): (batch, width)
//   ->  dx = dy + Norm-backward(dn): (batch, width)
template <typename T>
void ResidualBlock<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  const std::size_t rows = dy.rows;
  d_activated_.resize(rows, activation_->output_size());
  linear_.backward(dy, d_activated_.view());
  // The parts below still owe their parameter gradients when the block's dx is not wanted.
  MatrixView<T> d_branch = dx;
  if (d_branch.data == nullptr) {
    d_branch_.resize(rows, width_);
    d_branch = d_branch_.view();
  }
  if (norm_) {
    d_normalized_.resize(rows, width_);
    activation_->backward(d_activated_.view(), d_normalized_.view());
    norm_->backward(d_normalized_.view(), d_branch);
  } else {
    activation_->backward(d_activated_.view(), d_branch);
  }
  if (dx.data == nullptr) return;
  const T* __restrict g = dy.data;
  T* __restrict out = dx.data;
  const std::size_t n = dx.size();
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i)
    out[i] += g[i];
}

template std::unique_ptr<Layer<float>> make_norm_layer<float>(const NormSpec&, std::size_t);
template std::unique_ptr<Layer<double>> make_norm_layer<double>(const NormSpec&, std::size_t);
template class ResidualBlock<float>;
template class ResidualBlock<double>;

}  // namespace actlab
