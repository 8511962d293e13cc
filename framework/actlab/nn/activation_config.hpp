#pragma once
// Reading an activation from a config: either a name, or a map with a name and parameters.
//   activation: gelu
//   activation: {name: leaky_relu, alpha: 0.2}
//   activation: {name: swish, beta: 1.5, learnable: true}
#include <string>

#include <yaml-cpp/yaml.h>

#include "actlab/nn/activation.hpp"

namespace actlab {

// Parses and validates (name, parameter names, ranges, switches) the node; `where` names it in
// errors ("model.activation"). Throws ConfigError; an unknown name lists the valid ones and
// suggests the nearest.
ActivationConfig parse_activation_config(const YAML::Node& node, const std::string& where);

}  // namespace actlab
