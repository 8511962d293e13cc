#pragma once
// Builds a multilayer perceptron, in one of two forms:
//   - the classic one: Linear → activation, repeated per hidden width (MlpSpec::hidden);
//   - an explicit list of layers (MlpSpec::layers, a config's model.layers): Linear, activation,
//     dropout, batchnorm, layernorm and residual blocks in any order.
// Either way a last Linear producing the logits is added (softmax is fused into the loss, never a
// layer). Every layer is tagged with its depth (Sequential::layer_depth), the number the probes
// report: the hidden layer's number in the classic form (its Linear and activation share it; the
// output Linear is hidden.size() + 1), the 1-based position in the list in the explicit form (the
// output Linear is layers.size() + 1).
#include <optional>
#include <vector>

#include "actlab/nn/activation.hpp"
#include "actlab/nn/initializer.hpp"
#include "actlab/nn/residual_block.hpp"
#include "actlab/nn/sequential.hpp"

namespace actlab {

// One entry of an explicit layer list.
struct LayerSpec {
  enum class Kind { kLinear, kActivation, kDropout, kNorm, kResidual };
  Kind kind = Kind::kLinear;
  std::size_t width = 0;        // linear: output units; residual: the block width, 0 = its input's
  ActivationConfig activation;  // activation; the residual block's f
  double dropout = 0.5;         // dropout: the probability p of zeroing an element
  NormSpec norm;                // norm: batchnorm or layernorm; residual: its pre-norm (or none)

  bool operator==(const LayerSpec&) const = default;
};

struct MlpSpec {
  std::size_t inputs = 784;
  std::vector<std::size_t> hidden = {256, 256};
  std::size_t outputs = 10;
  ActivationConfig activation;
  InitializerSpec init;
  double bias_init = 0.0;
  // When set, the network is this list and then the output Linear; `hidden` and `activation` are
  // not used.
  std::optional<std::vector<LayerSpec>> layers = std::nullopt;
};

// Throws ConfigError ("model.layers[3]: ...") when the widths do not fit together: a residual
// block whose width differs from its input's, a gated activation on an odd width; and a dropout p
// outside [0, 1).
template <typename T>
Sequential<T> build_mlp(const MlpSpec& spec);

// True when the network normalises with batch statistics in training (batchnorm anywhere), so that
// a training batch needs at least 2 rows.
bool uses_batch_statistics(const MlpSpec& spec);

}  // namespace actlab
