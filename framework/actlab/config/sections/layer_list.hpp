#pragma once
// model.layers: the explicit layer list (README "Model layers"). Each entry is a name (`relu`,
// `batchnorm`, `activation`, ...) or a map with one key, the layer's kind, whose value is the
// shorthand argument or a map of options: {linear: 256}, {dropout: {p: 0.3}}, ...; `repeat`
// writes a group of entries out several times.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actlab/config/field_rules.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/mlp.hpp"

namespace actlab {

inline constexpr std::int64_t kMaxLayerWidth = 1 << 20;

// Parses the list, with every error located at its entry; written back as the expanded list, one
// entry per layer in the map form. `model_activation` is what bare `activation` entries and
// residual blocks default to.
struct LayerListField {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  const ActivationConfig& model_activation;
  void read(YamlSection& model, const std::string& key,
            std::optional<std::vector<LayerSpec>>& layers) const;
  std::optional<YAML::Node> write(const std::optional<std::vector<LayerSpec>>& layers) const;
};

// {name: leaky_relu, alpha: 0.01}: every parameter, resolved.
YAML::Node activation_yaml(const ActivationConfig& config);

}  // namespace actlab
