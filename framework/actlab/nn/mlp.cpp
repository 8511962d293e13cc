#include "actlab/nn/mlp.hpp"

#include <sstream>

#include "actlab/core/error.hpp"
#include "actlab/nn/dropout.hpp"
#include "actlab/nn/linear.hpp"

namespace actlab {
namespace {

template <typename T>
void add_hidden_layers(Sequential<T>& network, const MlpSpec& spec, std::size_t& width) {
  const ActivationInfo& activation = activation_entry(spec.activation);
  if (activation.output_side)
    throw ConfigError("activation '" + std::string(activation.name) +
                      "' is an output-side layer, not a hidden activation: it would follow every "
                      "hidden layer of `hidden:`; place it once in model.layers instead");
  std::size_t depth = 0;
  for (std::size_t hidden : spec.hidden) {
    ++depth;
    // A gated activation halves the width, so its Linear produces twice the units.
    const std::size_t linear_out = hidden * activation.width_multiplier;
    network.add(std::make_unique<Linear<T>>(width, linear_out, spec.init, spec.bias_init), depth);
    network.add(make_activation_layer<T>(spec.activation, linear_out), depth);
    width = hidden;
  }
}

// A gated activation needs an even input width; says which entry is at fault otherwise.
std::size_t gated_output_width(const ActivationConfig& activation, std::size_t width,
                               const std::string& where) {
  const std::size_t multiplier = activation_entry(activation).width_multiplier;
  if (width % multiplier != 0)
    throw ConfigError(where + ": " + activation.name +
                      " halves its input, which must then have an " +
                      "even number of units; it gets " + std::to_string(width));
  return width / multiplier;
}

template <typename T>
void add_listed_layers(Sequential<T>& network, const MlpSpec& spec, std::size_t& width) {
  const std::vector<LayerSpec>& layers = *spec.layers;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerSpec& entry = layers[i];
    const std::size_t depth = i + 1;
    const std::string where = "model.layers[" + std::to_string(i) + "]";
    switch (entry.kind) {
      case LayerSpec::Kind::kLinear:
        network.add(std::make_unique<Linear<T>>(width, entry.width, spec.init, spec.bias_init),
                    depth);
        width = entry.width;
        break;
      case LayerSpec::Kind::kActivation: {
        const std::size_t out = gated_output_width(entry.activation, width, where);
        network.add(make_activation_layer<T>(entry.activation, width), depth);
        width = out;
        break;
      }
      case LayerSpec::Kind::kDropout:
        // p = 1 would zero every output: nothing before the layer could learn.
        if (!(entry.dropout >= 0 && entry.dropout < 1))
          throw ConfigError(where + ".dropout: p must be in [0, 1), got " +
                            (std::ostringstream() << entry.dropout).str());
        network.add(std::make_unique<Dropout<T>>(width, entry.dropout), depth);
        break;
      case LayerSpec::Kind::kNorm:
        network.add(make_norm_layer<T>(entry.norm, width), depth);
        break;
      case LayerSpec::Kind::kResidual:
        if (entry.width != 0 && entry.width != width)
          throw ConfigError(where + ": the residual block's width " + std::to_string(entry.width) +
                            " differs from its input's, " + std::to_string(width) +
                            " (x + Linear(f(Norm(x))) keeps the width)");
        gated_output_width(entry.activation, width, where);
        network.add(std::make_unique<ResidualBlock<T>>(width, entry.norm, entry.activation,
                                                       spec.init, spec.bias_init),
                    depth);
        break;
    }
  }
}

}  // namespace

template <typename T>
Sequential<T> build_mlp(const MlpSpec& spec) {
  Sequential<T> network;
  std::size_t width = spec.inputs;
  if (spec.layers)
    add_listed_layers(network, spec, width);
  else
    add_hidden_layers(network, spec, width);
  const std::size_t output_depth = spec.layers ? spec.layers->size() + 1 : spec.hidden.size() + 1;
  network.add(std::make_unique<Linear<T>>(width, spec.outputs, spec.init, spec.bias_init),
              output_depth);
  network.finalize();
  return network;
}

bool uses_batch_statistics(const MlpSpec& spec) {
  if (!spec.layers) return false;
  for (const LayerSpec& entry : *spec.layers)
    if ((entry.kind == LayerSpec::Kind::kNorm || entry.kind == LayerSpec::Kind::kResidual) &&
        entry.norm.kind == NormKind::kBatchNorm)
      return true;
  return false;
}

template Sequential<float> build_mlp<float>(const MlpSpec&);
template Sequential<double> build_mlp<double>(const MlpSpec&);

}  // namespace actlab
