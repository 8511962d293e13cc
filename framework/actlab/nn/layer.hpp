#pragma once
// The interface every layer implements. A layer transforms a batch x (batch, in) into y (batch,
// out) and, going back, turns dL/dy into dL/dx while *accumulating* the gradients of its
// parameters (or overwriting them: see overwrites_gradients). Buffers belong to the network
// (planned once per batch size); a layer may keep views of the x and y it was given in forward(),
// which stay valid until the next forward().
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "actlab/core/matrix.hpp"
#include "actlab/core/rng.hpp"

namespace actlab {

// What a layer needs to know about the pass it is part of.
struct ForwardContext {
  bool training = false;  // dropout, rrelu and gumbel sampling act only in training
  Rng* rng = nullptr;     // the stream for stochastic layers; null when none is needed
};

// A parameter tensor a layer owns; the network lays all of them out in one flat buffer.
struct ParameterShape {
  std::string name;  // "weight", "bias", "alpha", ...
  std::size_t rows = 0;
  std::size_t cols = 0;
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
  // True if backward() *writes* this layer's parameter gradients instead of adding to them, so
  // that the network need not zero them before each backward pass (Linear: its dW GEMM with
  // beta = 0 zeroes inside BLAS, on all of BLAS's threads, instead of a serial pass beforehand).
  virtual bool overwrites_gradients() const { return false; }

  // Blockwise running, for elementwise layers: in a data-parallel step (Sequential::
  // forward_backward_by_rows) every member of the team runs its own rows of the batch through the
  // network, so a layer's work on a block of rows must not touch its state.
  //   runs_blockwise(): whether the layer can (an activation without a learnable parameter).
  //   begin_blockwise_forward(x, y, context): everything forward() does but the elementwise work
  //     (on the calling thread, before the members start); then forward_block(block) computes y
  //     from x on one block, any blocks in any order, side by side.
  //   backward_block(dy, dx, block): dx from dy on one block, after a forward of either kind.
  virtual bool runs_blockwise() const { return false; }
  virtual void begin_blockwise_forward(MatrixView<const T> /*x*/, MatrixView<T> /*y*/,
                                       const ForwardContext& /*context*/) {}
  virtual void forward_block(const MatrixBlock& /*block*/) {}
  virtual void backward_block(MatrixView<const T> /*dy*/, MatrixView<T> /*dx*/,
                              const MatrixBlock& /*block*/) {}

  // For elementwise activations only: writes y = f(x) and f'(x) and returns true, changing no
  // state of the layer. Probes use it to find dead and saturated units. Other layers return false.
  virtual bool elementwise_derivative(MatrixView<const T> /*x*/, MatrixView<T> /*y*/,
                                      MatrixView<T> /*dydx*/) const {
    return false;
  }
};

}  // namespace actlab
