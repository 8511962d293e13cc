#pragma once
// Batch normalisation (Ioffe & Szegedy 2015) over the batch dimension, as torch.nn.BatchNorm1d on
// (batch, features) inputs:
//   training:   μ, σ² = mean and *biased* variance of each feature over the batch,
//               y = γ (x - μ)/√(σ² + eps) + β,
//               running_mean ← (1 - momentum) running_mean + momentum μ,
//               running_var  ← (1 - momentum) running_var  + momentum σ² n/(n-1)  (unbiased)
//   evaluation: the same with the running estimates in place of μ and σ²; nothing is updated.
// Defaults are PyTorch's: momentum 0.1, eps 1e-5, affine (learnable γ = "weight", β = "bias",
// initialised to 1 and 0). The running estimates (initialised to 0 and 1) are network state, not
// parameters: they live in the network's state buffer (Layer::state_shapes). Like PyTorch, a
// training batch needs at least 2 rows.
#include <vector>

#include "actlab/nn/layer.hpp"

namespace actlab {

template <typename T>
class BatchNorm final : public Layer<T> {
 public:
  // Throws std::invalid_argument unless 0 <= momentum <= 1 and eps > 0.
  BatchNorm(std::size_t width, double momentum = 0.1, double eps = 1e-5, bool affine = true);

  std::string kind() const override { return "batchnorm"; }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }
  std::vector<ParameterShape> parameter_shapes() const override;
  void bind_parameters(std::span<const MatrixView<T>> values,
                       std::span<const MatrixView<T>> grads) override;
  std::vector<ParameterShape> state_shapes() const override;
  void bind_state(std::span<const MatrixView<T>> state) override;
  void initialize(Rng& rng) override;

  // x, y: (batch, width). Training throws std::invalid_argument for a batch of one row.
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

  MatrixView<T> running_mean() const { return running_mean_; }  // (1, width)
  MatrixView<T> running_var() const { return running_var_; }    // (1, width)
  MatrixView<T> weight() const { return weight_; }              // (1, width); empty if !affine
  MatrixView<T> bias() const { return bias_; }

 private:
  std::size_t width_;
  double momentum_, eps_;
  bool affine_;
  bool training_ = false;
  MatrixView<T> weight_, bias_, weight_grad_, bias_grad_;
  MatrixView<T> running_mean_, running_var_;
  Matrix<T> x_hat_;         // (batch, width): the normalised input of the last forward
  std::vector<T> inv_std_;  // (width): 1/√(σ² + eps) of the last forward
  std::vector<T> mean_, scale_, mean_dy_, mean_dy_x_hat_;  // (width): per-pass scratch
  std::vector<double> sum_, sum2_;  // (width): column sums, accumulated in double
};

}  // namespace actlab
