#pragma once
// Fully connected layer: y = x Wᵀ + b, with W stored (out, in) as in PyTorch.
#include "actlab/nn/initializer.hpp"
#include "actlab/nn/layer.hpp"
#include "actlab/nn/row_parallel_layer.hpp"

namespace actlab {

template <typename T>
class Linear final : public Layer<T>, public RowParallelLayer<T> {
 public:
  Linear(std::size_t in, std::size_t out, InitializerSpec init = {}, double bias_init = 0.0);

  std::string kind() const override { return "linear"; }
  std::size_t input_size() const override { return in_; }
  std::size_t output_size() const override { return out_; }
  std::vector<ParameterShape> parameter_shapes() const override;
  void bind_parameters(std::span<const MatrixView<T>> values,
                       std::span<const MatrixView<T>> grads) override;
  void initialize(Rng& rng) override;

  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

  // RowParallelLayer: rows of y = x Wᵀ + b; rows of dx = dy W and their dW, db.
  void begin_rows(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  void forward_rows(MatrixView<const T> x, MatrixView<T> y, std::size_t first,
                    std::size_t last) override;
  void backward_rows(MatrixView<const T> dy, MatrixView<const T> x, MatrixView<T> dx,
                     std::span<const MatrixView<T>> grads, std::size_t first,
                     std::size_t last) override;

  MatrixView<T> weight() const { return weight_; }  // (out, in)
  MatrixView<T> bias() const { return bias_; }      // (1, out)
  MatrixView<T> weight_grad() const { return weight_grad_; }
  MatrixView<T> bias_grad() const { return bias_grad_; }

 private:
  std::size_t in_, out_;
  InitializerSpec init_;
  double bias_init_;
  MatrixView<T> weight_, bias_, weight_grad_, bias_grad_;
  MatrixView<const T> x_;        // the input of the last forward, needed for dW
  ComputeTeam* team_ = nullptr;  // the last forward's team, which backward splits on too
};

}  // namespace actlab
