#include "actlab/config/sections/model_section.hpp"

#include "actlab/core/error.hpp"
#include "actlab/nn/activation_config.hpp"

namespace actlab {

void HiddenWidthsField::read(YamlSection& model, const std::string& key,
                             std::vector<std::size_t>& hidden) const {
  if (model.has("layers") && model.has(key))
    model.fail(key,
               "use either model.hidden (a Linear and the activation per width) or model.layers "
               "(an explicit list of layers), not both");
  std::vector<std::int64_t> fallback(hidden.begin(), hidden.end());
  const auto widths = model.integer_list(key, fallback);
  hidden.clear();
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (widths[i] < 1 || widths[i] > kMaxLayerWidth)
      model.fail_at(model.node()[key][i], model.key_path(key) + "[" + std::to_string(i) + "]",
                    "a layer width must be between 1 and " + std::to_string(kMaxLayerWidth));
    hidden.push_back(static_cast<std::size_t>(widths[i]));
  }
}

std::optional<YAML::Node> HiddenWidthsField::write(const std::vector<std::size_t>& hidden) const {
  if (layers) return std::nullopt;
  YAML::Node widths(YAML::NodeType::Sequence);
  for (std::size_t width : hidden)
    widths.push_back(width);
  widths.SetStyle(YAML::EmitterStyle::Flow);
  return widths;
}

void ActivationField::read(YamlSection& model, const std::string& key,
                           ActivationConfig& activation) const {
  const YAML::Node node = model.raw(key);
  if (!node.IsDefined() || node.IsNull()) return;
  try {
    activation = parse_activation_config(node, model.key_path(key));
  } catch (const FormulaNodeError& e) {
    throw ConfigError(e.located(model.source()));
  } catch (const ConfigError& e) {
    throw ConfigError(location_message(model.source(), node, "", e.what()));
  }
}

std::optional<YAML::Node> ActivationField::write(const ActivationConfig& activation) const {
  return activation_yaml(activation);
}

void InitializerField::read(YamlSection& model, const std::string& key,
                            InitializerSpec& init) const {
  const YAML::Node node = model.raw(key);
  if (!node.IsDefined() || node.IsNull()) return;
  std::string name;
  YamlSection section(node.IsMap() ? node : YAML::Node(YAML::NodeType::Map), model.source(),
                      model.key_path(key));
  if (node.IsScalar()) {
    name = node.Scalar();
  } else if (node.IsMap()) {
    name = section.string("name", "");
    init.std = section.real("std", init.std);
    section.require("std", init.std > 0, "positive");
    section.reject_unknown_keys();
  } else {
    model.fail(key, "expected an initializer name or {name: normal, std: ...}");
  }
  try {
    init.kind = parse_initializer(name);
  } catch (const ConfigError& e) {
    throw ConfigError(location_message(model.source(), node.IsMap() ? node["name"] : node,
                                       model.key_path(key), e.what()));
  }
}

std::optional<YAML::Node> InitializerField::write(const InitializerSpec& init) const {
  YAML::Node node;
  node["name"] = std::string(initializer_name(init.kind));
  if (init.kind == Initializer::kNormal) node["std"] = init.std;
  return node;
}

}  // namespace actlab
