#pragma once
// Randomized leaky ReLU (Xu et al. 2015), as torch.nn.RReLU. In training every element with x <= 0
// gets its own slope a ~ U(lower, upper), drawn from the pass's random stream; in evaluation the
// slope is the mean (lower + upper) / 2, so the layer is deterministic.
#include "actlab/nn/activation.hpp"

namespace actlab {

template <typename T>
class Rrelu final : public Layer<T> {
 public:
  Rrelu(std::size_t width, double lower, double upper);

  std::string kind() const override { return "rrelu"; }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }

  // x, y: (batch, width)
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  // dx = dy ⊙ a, with the slopes a of the last forward (1 where x > 0)
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

  // The slope each element of the last training forward got: (batch, width).
  MatrixView<const T> slopes() const { return slopes_.view(); }

 private:
  std::size_t width_;
  double lower_, upper_;
  bool training_ = false;
  MatrixView<const T> x_;
  Matrix<T> slopes_;
};

// The registry entry for "rrelu" (parameters lower, upper).
ActivationInfo rrelu_info();

}  // namespace actlab
