#pragma once
// The gated linear units: glu (Dauphin et al. 2017), swiglu and geglu (Shazeer 2020). The Linear
// before the gate produces 2h units; the gate splits them into a = the first h columns and b = the
// last h columns (as torch.nn.functional.glu with dim = -1) and returns a ⊙ g(b), h units:
//   glu: g = sigmoid      swiglu: g = silu      geglu: g = gelu (exact)
// g is the elementwise rule of activation_functions.hpp, so the gate inherits its numerics.
#include <vector>

#include "actlab/nn/activation.hpp"

namespace actlab {

enum class GateKind { kGlu, kSwiglu, kGeglu };

template <typename T>
class GatedActivation final : public Layer<T> {
 public:
  // `width` is the input width 2h.
  GatedActivation(GateKind gate, std::size_t width);

  std::string kind() const override;
  std::size_t input_size() const override { return 2 * half_; }
  std::size_t output_size() const override { return half_; }

  // x: (batch, 2h) = [a | b]  ->  y: (batch, h) = a ⊙ g(b)
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  // dy: (batch, h)  ->  dx = [dy ⊙ g(b) | dy ⊙ a ⊙ g'(b)]: (batch, 2h)
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;

 private:
  GateKind gate_;
  std::size_t half_;
  MatrixView<const T> x_;
  Matrix<T> gate_values_;  // g(b) of the last forward: (batch, h)
};

// The registry entries "glu", "swiglu", "geglu".
std::vector<ActivationInfo> gated_activation_infos();

}  // namespace actlab
