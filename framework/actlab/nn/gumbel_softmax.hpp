#pragma once
// Gumbel-softmax (Jang et al. 2017; Maddison et al. 2017), as torch.nn.functional.gumbel_softmax
// over the last dimension: a differentiable sample from the categorical distribution softmax(x).
//   soft:  y = softmax((x + g) / tau),  g_i ~ Gumbel(0, 1) i.i.d.
//   hard:  y = one_hot(argmax of the soft y), with the soft y's gradient (straight-through)
// tau -> 0 makes the soft sample approach the one-hot one. An output-side layer: it acts on a row
// of logits as a whole. In evaluation no noise is added (g = 0), so the layer is deterministic:
// softmax(x / tau), or the one-hot of the most probable class when hard.
#include "actlab/nn/activation.hpp"

namespace actlab {

template <typename T>
class GumbelSoftmax final : public Layer<T> {
 public:
  GumbelSoftmax(std::size_t width, double tau, bool hard);

  std::string kind() const override { return "gumbel_softmax"; }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }

  // x, y: (batch, classes)
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  // dx = (s ⊙ (dy - Σ dy ⊙ s)) / tau with s the soft sample, hard or not.
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

  // The soft sample of the last forward (equal to y unless hard): (batch, classes).
  MatrixView<const T> soft_sample() const { return soft_.view(); }

 private:
  std::size_t width_;
  T tau_;
  bool hard_;
  Matrix<T> soft_;
};

// The registry entry for "gumbel_softmax" (parameters tau, hard).
ActivationInfo gumbel_softmax_info();

}  // namespace actlab
