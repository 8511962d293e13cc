#pragma once
// Layer normalisation (Ba et al. 2016) over the features of each row, as torch.nn.LayerNorm(width):
//   μ, σ² = mean and biased variance of the row,  y = γ (x - μ)/√(σ² + eps) + β
// The same in training and evaluation (no running statistics). Defaults are PyTorch's: eps 1e-5,
// elementwise affine (learnable γ = "weight", β = "bias", one per feature, initialised to 1 and 0).
#include <vector>

#include "actlab/nn/layer.hpp"

namespace actlab {

template <typename T>
class LayerNorm final : public Layer<T> {
 public:
  // Throws std::invalid_argument unless eps > 0.
  LayerNorm(std::size_t width, double eps = 1e-5, bool affine = true);

  std::string kind() const override { return "layernorm"; }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }
  std::vector<ParameterShape> parameter_shapes() const override;
  void bind_parameters(std::span<const MatrixView<T>> values,
                       std::span<const MatrixView<T>> grads) override;
  void initialize(Rng& rng) override;

  // x, y: (batch, width)
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

  MatrixView<T> weight() const { return weight_; }  // (1, width); empty if !affine
  MatrixView<T> bias() const { return bias_; }

 private:
  std::size_t width_;
  double eps_;
  bool affine_;
  MatrixView<T> weight_, bias_, weight_grad_, bias_grad_;
  Matrix<T> x_hat_;         // (batch, width): the normalised input of the last forward
  std::vector<T> inv_std_;  // (batch): 1/√(σ² + eps) of each row of the last forward
  std::vector<T> dx_hat_;   // (width): scratch for one row of dL/dx̂
};

}  // namespace actlab
