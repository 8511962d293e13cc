#pragma once
// A pre-norm residual MLP block (He et al. 2016, "identity mappings"; the pre-norm form of
// Xiong et al. 2020):
//   y = x + Linear(f(Norm(x)))        x, y: (batch, width)
// Norm is layernorm, batchnorm or none; f is any registry activation (a gated one halves the width,
// so the Linear maps width/2 back to width). The block's tensors are named after its parts:
// "norm.weight", "norm.bias", "activation.<param>", "linear.weight", "linear.bias"; its state
// (batchnorm only) "norm.running_mean", "norm.running_var".
#include <memory>

#include "actlab/nn/activation.hpp"
#include "actlab/nn/initializer.hpp"
#include "actlab/nn/linear.hpp"

namespace actlab {

enum class NormKind { kNone, kBatchNorm, kLayerNorm };

struct NormSpec {
  NormKind kind = NormKind::kNone;
  double eps = 1e-5;
  double momentum = 0.1;  // batchnorm only
  bool affine = true;

  bool operator==(const NormSpec&) const = default;
};

// "none", "batchnorm", "layernorm"
std::string_view norm_kind_name(NormKind kind);
// A BatchNorm or LayerNorm of `width` features; null for NormKind::kNone.
template <typename T>
std::unique_ptr<Layer<T>> make_norm_layer(const NormSpec& spec, std::size_t width);

template <typename T>
class ResidualBlock final : public Layer<T> {
 public:
  ResidualBlock(std::size_t width, const NormSpec& norm, const ActivationConfig& activation,
                InitializerSpec init = {}, double bias_init = 0.0);

  std::string kind() const override { return "residual"; }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }
  std::vector<ParameterShape> parameter_shapes() const override;
  void bind_parameters(std::span<const MatrixView<T>> values,
                       std::span<const MatrixView<T>> grads) override;
  std::vector<ParameterShape> state_shapes() const override;
  void bind_state(std::span<const MatrixView<T>> state) override;
  void initialize(Rng& rng) override;

  // x, y: (batch, width)
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  // dx = dy + dL/dx through the branch; the parts' parameter gradients accumulate.
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

  // The parts, and what the activation saw in the last forward (for the probes).
  const Layer<T>* norm() const { return norm_.get(); }  // null without a norm
  const Layer<T>& activation() const { return *activation_; }
  const Linear<T>& linear() const { return linear_; }
  MatrixView<const T> activation_input() const { return activation_input_; }   // (batch, width)
  MatrixView<const T> activation_output() const { return activated_.view(); }  // (batch, width/m)

 private:
  std::size_t width_;
  std::unique_ptr<Layer<T>> norm_;                       // null: none
  std::unique_ptr<Layer<T>> activation_;                 // width -> hidden_
  Linear<T> linear_;                                     // hidden_ -> width
  std::size_t norm_params_ = 0, activation_params_ = 0;  // tensors of each part, in order
  MatrixView<const T> activation_input_;                 // Norm(x), or x itself without a norm
  Matrix<T> normalized_;                                 // (batch, width): Norm(x)
  Matrix<T> activated_;                                  // (batch, hidden): f(Norm(x))
  Matrix<T> d_activated_;                                // (batch, hidden): dL/d f(...)
  Matrix<T> d_normalized_;                               // (batch, width): dL/d Norm(x)
  Matrix<T> d_branch_;  // (batch, width): dL/dx through the branch, when dx is not wanted
};

}  // namespace actlab
