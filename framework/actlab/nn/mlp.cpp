#include "actlab/nn/mlp.hpp"

#include "actlab/core/error.hpp"
#include "actlab/nn/linear.hpp"

namespace actlab {

template <typename T>
Sequential<T> build_mlp(const MlpSpec& spec) {
  const ActivationInfo& activation = find_activation(spec.activation.name);
  if (activation.output_side)
    throw ConfigError("activation '" + std::string(activation.name) +
                      "' is an output-side layer, not a hidden activation: it would follow every "
                      "hidden layer of `hidden:`; place it once in model.layers instead");
  Sequential<T> network;
  std::size_t width = spec.inputs;
  for (std::size_t hidden : spec.hidden) {
    // A gated activation halves the width, so its Linear produces twice the units.
    const std::size_t linear_out = hidden * activation.width_multiplier;
    network.add(std::make_unique<Linear<T>>(width, linear_out, spec.init, spec.bias_init));
    network.add(make_activation_layer<T>(spec.activation, linear_out));
    width = hidden;
  }
  network.add(std::make_unique<Linear<T>>(width, spec.outputs, spec.init, spec.bias_init));
  network.finalize();
  return network;
}

template Sequential<float> build_mlp<float>(const MlpSpec&);
template Sequential<double> build_mlp<double>(const MlpSpec&);

}  // namespace actlab
