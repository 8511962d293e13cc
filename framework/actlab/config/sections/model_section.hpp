#pragma once
// The `model:` section: the network, as hidden widths with one activation, or as an explicit list
// of layers (layer_list.hpp).
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "actlab/config/field_rules.hpp"
#include "actlab/config/sections/layer_list.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/initializer.hpp"
#include "actlab/nn/mlp.hpp"

namespace actlab {

struct ModelConfig {
  std::vector<std::size_t> hidden = {256, 256};
  // The activation of the `hidden` form, and the default of the list form's bare `activation`
  // entries and residual blocks.
  ActivationConfig activation;
  InitializerSpec init;
  double bias_init = 0.0;
  // model.layers, the explicit list (README "Model layers"); when set, `hidden` is not used.
  std::optional<std::vector<LayerSpec>> layers;

  bool operator==(const ModelConfig&) const = default;
};

// model.hidden: [256, 256]. Left out of the resolved YAML when model.layers is used instead; the
// two together are an error.
struct HiddenWidthsField {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  const std::optional<std::vector<LayerSpec>>& layers;
  void read(YamlSection& model, const std::string& key, std::vector<std::size_t>& hidden) const;
  std::optional<YAML::Node> write(const std::vector<std::size_t>& hidden) const;
};

// `activation: gelu` or `activation: {name: leaky_relu, alpha: 0.2}` (activation_config.hpp);
// written with every parameter resolved.
struct ActivationField {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  void read(YamlSection& model, const std::string& key, ActivationConfig& activation) const;
  std::optional<YAML::Node> write(const ActivationConfig& activation) const;
};

// `init: he_normal` or `init: {name: normal, std: 0.02}`.
struct InitializerField {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  void read(YamlSection& model, const std::string& key, InitializerSpec& init) const;
  std::optional<YAML::Node> write(const InitializerSpec& init) const;
};

template <>
struct SectionFields<ModelConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("hidden", c.hidden, HiddenWidthsField{c.layers});
    // Bare `activation` entries and residual blocks take model.activation.
    v("layers", c.layers, LayerListField{c.activation}, read_after("activation"));
    v("activation", c.activation, ActivationField{});
    v("init", c.init, InitializerField{});
    v("bias_init", c.bias_init);
  }
};

}  // namespace actlab
