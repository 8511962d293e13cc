#include "actlab/config/sections/activations_section.hpp"

#include "actlab/core/error.hpp"
#include "actlab/nn/activation_config.hpp"

namespace actlab {

void ActivationLibraryField::read(YamlSection& root, const std::string& key,
                                  FormulaLibrary& library) const {
  const YAML::Node node = root.raw(key);
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) root.fail(key, "expected a mapping of names to {formula: ..., params: {...}}");
  // All definitions first: a formula may call one defined after it.
  for (const auto& item : node) {
    const std::string name = item.first.Scalar();
    const std::string where = root.key_path(key) + "." + name;
    try {
      library[name] = parse_formula_definition(name, item.second, where);
    } catch (const ConfigError& e) {
      throw ConfigError(location_message(root.source(), item.first, "", e.what()));
    }
  }
  for (const auto& item : node) {
    const std::string name = item.first.Scalar();
    const std::string where = root.key_path(key) + "." + name;
    try {
      check_formula_definition(library.at(name), library, item.second, where);
    } catch (const FormulaNodeError& e) {
      throw ConfigError(e.located(root.source()));
    } catch (const ConfigError& e) {
      throw ConfigError(location_message(root.source(), item.second, "", e.what()));
    }
  }
}

std::optional<YAML::Node> ActivationLibraryField::write(const FormulaLibrary& library) const {
  if (library.empty()) return std::nullopt;
  YAML::Node node(YAML::NodeType::Map);
  for (const auto& [name, definition] : library)
    node[name] = formula_definition_yaml(definition);
  return node;
}

}  // namespace actlab
