#pragma once
// The interface every layer implements. A layer transforms a batch x (batch, in) into y (batch,
// out) and, going back, turns dL/dy into dL/dx while *accumulating* the gradients of its
// parameters (or overwriting them: see ParameterShape). Buffers belong to the network (planned
// once per batch size); a layer may keep views of the x and y it was given in forward(), which stay
// valid until the next forward(). backward() runs on the team its forward() was given.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "actlab/core/matrix.hpp"
#include "actlab/core/rng.hpp"

namespace actlab {

class ComputeTeam;

// What a layer needs to know about the pass it is part of.
struct ForwardContext {
  bool training = false;        // dropout, rrelu and gumbel sampling act only in training
  Rng* rng = nullptr;           // the stream for stochastic layers; null when none is needed
  ComputeTeam* team = nullptr;  // splits the pass (and the backward after it); null: this thread
};

// A parameter tensor a layer owns; the network lays all of them out in one flat buffer.
struct ParameterShape {
  std::string name;  // "weight", "bias", "alpha", ...
  std::size_t rows = 0;
  std::size_t cols = 0;
  // backward() writes this gradient instead of adding to it, so the network need not zero it
  // first (Linear: its dW GEMM with beta = 0 zeroes inside BLAS, split like the product).
  bool written_by_backward = false;
};

template <typename T>
class Layer {
 public:
  virtual ~Layer() = default;

  // A short name for logs and parameter views ("linear", "relu", ...).
  virtual std::string kind() const = 0;
  virtual std::size_t input_size() const = 0;
  virtual std::size_t output_size() const = 0;

  virtual std::vector<ParameterShape> parameter_shapes() const { return {}; }
  // Views into the network's flat parameter and gradient buffers, in parameter_shapes() order.
  virtual void bind_parameters(std::span<const MatrixView<T>> /*values*/,
                               std::span<const MatrixView<T>> /*grads*/) {}
  // State that is not a parameter (BatchNorm's running mean and variance): the optimizer never
  // sees it and it has no gradient, but evaluation depends on it, so the network keeps it in its
  // own flat buffer, next to the parameters, where checkpoints find it.
  virtual std::vector<ParameterShape> state_shapes() const { return {}; }
  // Views into the network's flat state buffer, in state_shapes() order.
  virtual void bind_state(std::span<const MatrixView<T>> /*state*/) {}
  // Draws the initial parameter values and resets the state.
  virtual void initialize(Rng& /*rng*/) {}

  // x: (batch, in)  ->  y: (batch, out)
  virtual void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) = 0;
  // dy: (batch, out)  ->  dx: (batch, in), and parameter gradients += dL/dθ.
  // dx may be empty (data == nullptr): the first layer's input gradient is never needed.
  virtual void backward(MatrixView<const T> dy, MatrixView<T> dx) = 0;
  // For elementwise activations only: writes y = f(x) and f'(x) and returns true, changing no
  // state of the layer. Probes use it to find dead and saturated units. Other layers return false.
  virtual bool elementwise_derivative(MatrixView<const T> /*x*/, MatrixView<T> /*y*/,
                                      MatrixView<T> /*dydx*/) const {
    return false;
  }
};

}  // namespace actlab
