#pragma once
// Inverted dropout (Srivastava et al. 2014), as torch.nn.Dropout: in training each element is
// zeroed with probability p and the survivors are scaled by 1/(1-p), so the expected output equals
// the input and evaluation is the identity (nothing to rescale at test time). p = 1, which PyTorch
// accepts, is refused: it zeroes every output, so nothing before the layer could learn.
#include "actlab/nn/layer.hpp"

namespace actlab {

template <typename T>
class Dropout final : public Layer<T> {
 public:
  // Throws std::invalid_argument unless 0 <= p < 1.
  Dropout(std::size_t width, double p);

  std::string kind() const override { return "dropout"; }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }

  // x, y: (batch, width). Training draws one uniform per element from context.rng (required).
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  // dx = dy ⊙ mask in training, dy in evaluation.
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

  double p() const { return p_; }
  // The last training forward's mask, (batch, width): 0 or 1/(1-p).
  MatrixView<const T> mask() const { return mask_.view(); }

 private:
  std::size_t width_;
  double p_;
  bool training_ = false;
  Matrix<T> mask_;
};

}  // namespace actlab
