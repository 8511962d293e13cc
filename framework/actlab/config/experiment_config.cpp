#include "actlab/config/experiment_config.hpp"

#include "actlab/config/field_reader.hpp"
#include "actlab/config/field_writer.hpp"
#include "actlab/core/error.hpp"

namespace actlab {

ExperimentConfig parse_config(const YAML::Node& root_node, const std::string& source) {
  if (!root_node.IsDefined() || root_node.IsNull())
    throw ConfigError(source + ": the configuration is empty");
  YamlSection root(root_node, source, "");
  FieldReader reader(root);
  ExperimentConfig config;
  SectionFields<ExperimentConfig>::visit(config, reader);
  reader.finish();
  return config;
}

YAML::Node to_yaml(const ExperimentConfig& config) {
  FieldWriter writer;
  SectionFields<ExperimentConfig>::visit(config, writer);
  return writer.node();
}

void apply_override(YAML::Node& root, const std::string& assignment) {
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
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node node = root;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (key.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + path + "'");
    if (dot == std::string::npos) {
      node[key] = value;
      return;
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

ExperimentConfig load_config(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw ConfigError(file.string() + ": cannot open the configuration file");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  for (const auto& assignment : overrides)
    apply_override(root, assignment);
  return parse_config(root, file.string());
}

}  // namespace actlab
