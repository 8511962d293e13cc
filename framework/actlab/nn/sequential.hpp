#pragma once
// A network as a list of layers applied in order. It owns
//   - one flat parameter buffer and one flat gradient buffer, with a named view per tensor
//     ("2.linear.weight"), so that zero-grad, norms, clipping and optimizers are single loops;
//   - one flat state buffer for what layers keep that is not trained (BatchNorm's running
//     statistics, "1.batchnorm.running_mean"): no gradient, never seen by the optimizer, but part
//     of the model, so checkpoints save it with the parameters;
//   - the activation and gradient buffers of every layer, planned once for the largest batch:
//     after plan(), forward() and backward() allocate nothing.
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "actlab/nn/layer.hpp"

namespace actlab {

template <typename T>
struct NamedParameter {
  std::string name;         // "<layer index>.<layer kind>.<tensor>", e.g. "0.linear.weight"
  std::size_t layer_index;  // position in the network
  std::string tensor;       // "weight", "bias", "alpha", ...
  MatrixView<T> value;
  MatrixView<T> grad;
};

template <typename T>
struct NamedState {
  std::string name;         // "<layer index>.<layer kind>.<tensor>", e.g. "1.batchnorm.running_var"
  std::size_t layer_index;  // position in the network
  std::string tensor;       // "running_mean", "running_var", "norm.running_mean", ...
  MatrixView<T> value;
};

template <typename T>
class Sequential {
 public:
  Sequential() = default;
  Sequential(const Sequential&) = delete;
  Sequential& operator=(const Sequential&) = delete;
  Sequential(Sequential&&) noexcept = default;
  Sequential& operator=(Sequential&&) noexcept = default;

  // Appends a layer; its input size must equal the previous layer's output size. `depth` is the
  // 1-based position of the model description's entry the layer was built from (build_mlp sets
  // it; the probes report it as the layer's depth); 0 when there is none.
  void add(std::unique_ptr<Layer<T>> layer, std::size_t depth = 0);
  // Lays out the flat parameter and state buffers and binds every layer to its views. Call once,
  // after the last add() and before initialize().
  void finalize();
  void initialize(Rng& rng);
  // Sizes the activation and gradient buffers for batches of up to `max_batch` rows.
  void plan(std::size_t max_batch);

  // x: (batch, input_size) -> logits: (batch, output_size). The view stays valid until the next
  // call.
  MatrixView<T> forward(MatrixView<const T> x, const ForwardContext& context);
  // Back-propagates dL/d output through every layer, setting the parameter gradients: call
  // zero_grad() first, for the layers that accumulate theirs.
  void backward(MatrixView<const T> doutput);
  // Zeroes the gradients that backward() adds to; those it writes (ParameterShape::
  // written_by_backward) are left as they are.
  void zero_grad();

  std::size_t input_size() const;
  std::size_t output_size() const;
  std::size_t layer_count() const { return layers_.size(); }
  Layer<T>& layer(std::size_t i) { return *layers_[i]; }
  const Layer<T>& layer(std::size_t i) const { return *layers_[i]; }
  std::size_t layer_depth(std::size_t i) const { return depths_[i]; }

  std::span<T> parameters() { return {params_.data(), params_.size()}; }
  std::span<const T> parameters() const { return {params_.data(), params_.size()}; }
  std::span<T> gradients() { return {grads_.data(), grads_.size()}; }
  std::span<const T> gradients() const { return {grads_.data(), grads_.size()}; }
  const std::vector<NamedParameter<T>>& named_parameters() const { return named_; }

  // The non-trainable state of every layer (empty when no layer keeps any).
  std::span<T> state() { return {state_.data(), state_.size()}; }
  std::span<const T> state() const { return {state_.data(), state_.size()}; }
  const std::vector<NamedState<T>>& named_state() const { return named_state_; }
  // Everything besides parameters() that a checkpoint must save to resume bit-identically, by
  // name, as Optimizer::state_buffers() does: one span per state tensor, in named_state() order.
  std::vector<std::pair<std::string, std::span<T>>> state_buffers();

  // What the last forward/backward left in the planned buffers (rows = the last batch size):
  // the input of layer i, its output, and dL/d(output of layer i).
  MatrixView<const T> layer_input(std::size_t i) const;
  MatrixView<const T> layer_output(std::size_t i) const;
  MatrixView<const T> layer_output_grad(std::size_t i) const;

  // For a pass run outside forward() and backward() (the engine's row-parallel pass), which must
  // leave the same buffers as they do: x as the recorded input, and layer i's output and dL/d
  // output sized for `rows` (within the planned capacity).
  void set_input(MatrixView<const T> x) { input_ = x; }
  MatrixView<T> output_buffer(std::size_t i, std::size_t rows);
  MatrixView<T> output_grad_buffer(std::size_t i, std::size_t rows);

 private:
  std::vector<std::unique_ptr<Layer<T>>> layers_;
  Matrix<T> params_, grads_;  // (1, total parameter count) each
  std::vector<NamedParameter<T>> named_;
  std::vector<std::span<T>> accumulated_grads_;  // what zero_grad() zeroes, one span per tensor
  Matrix<T> state_;                              // (1, total state count)
  std::vector<NamedState<T>> named_state_;
  std::vector<std::size_t> depths_;      // depths_[i]: see add()
  std::vector<Matrix<T>> outputs_;       // outputs_[i]: (batch, layer i output)
  std::vector<Matrix<T>> output_grads_;  // output_grads_[i]: dL/d outputs_[i]
  MatrixView<const T> input_;            // the x of the last forward
  std::size_t batch_ = 0;
  bool finalized_ = false;
};

}  // namespace actlab
