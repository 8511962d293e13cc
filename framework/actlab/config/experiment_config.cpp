#include "actlab/config/experiment_config.hpp"

#include <fstream>
#include <sstream>

#include "actlab/config/field_reader.hpp"
#include "actlab/config/field_writer.hpp"
#include "actlab/core/error.hpp"
#include "actlab/nn/activation_config.hpp"

namespace actlab {

ExperimentConfig parse_config(const YAML::Node& root_node, const ConfigSource& source) {
  if (!root_node.IsDefined() || root_node.IsNull())
    throw ConfigError(source.file() + ": the configuration is empty");
  YamlSection root(root_node, source, "");
  FieldReader reader(root);
  ExperimentConfig config;
  // The activations section is read before the model, whose activations may name its entries.
  FormulaLibraryScope formulas(&config.activations);
  SectionFields<ExperimentConfig>::visit(config, reader);
  reader.finish();
  return config;
}

YAML::Node to_yaml(const ExperimentConfig& config) {
  FieldWriter writer;
  SectionFields<ExperimentConfig>::visit(config, writer);
  return writer.node();
}

YAML::Node apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + assignment + ": the value is not valid YAML: " + e.msg);
  }
  ConfigSource override_source("");
  override_source.add_override(value, assignment);
  reject_duplicate_keys(value, override_source, path);
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node node = root;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (key.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + path + "'");
    if (dot == std::string::npos) {
      node[key] = value;  // makes `value` refer to the node in the tree
      return value;
    }
    YAML::Node child = node[key];
    if (!child.IsDefined() || child.IsNull()) {
      node[key] = YAML::Node(YAML::NodeType::Map);
      child.reset(node[key]);
    } else if (!child.IsMap()) {
      throw ConfigError("--set " + assignment + ": '" + path.substr(0, dot) +
                        "' is not a mapping, so it has no key '" + path.substr(dot + 1) + "'");
    }
    node.reset(child);
    start = dot + 1;
  }
}

void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     ConfigSource& source) {
  for (const auto& assignment : overrides)
    source.add_override(apply_override(root, assignment), assignment);
}

ExperimentConfig load_config(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot open the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  ConfigSource source(file.string());
  YAML::Node root = load_yaml(text.str(), source);
  apply_overrides(root, overrides, source);
  return parse_config(root, source);
}

}  // namespace actlab
