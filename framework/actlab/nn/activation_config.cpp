#include "actlab/nn/activation_config.hpp"

#include <algorithm>

#include "actlab/core/error.hpp"

namespace actlab {
namespace {

double parse_value(const YAML::Node& node, const ActivationParamSpec& spec,
                   const std::string& where) {
  const std::string key = where + "." + std::string(spec.name);
  if (!node.IsScalar()) throw ConfigError(key + ": expected a value");
  if (spec.kind == ParamKind::kBool) {
    bool value = false;
    if (!YAML::convert<bool>::decode(node, value))
      throw ConfigError(key + ": expected true or false, got '" + node.Scalar() + "'");
    return value ? 1.0 : 0.0;
  }
  double value = 0;
  if (!YAML::convert<double>::decode(node, value))
    throw ConfigError(key + ": expected a number, got '" + node.Scalar() + "'");
  return value;
}

}  // namespace

ActivationConfig parse_activation_config(const YAML::Node& node, const std::string& where) {
  ActivationConfig config;
  try {
    if (node.IsScalar()) {
      config.name = node.Scalar();
    } else if (node.IsMap()) {
      const YAML::Node name = node["name"];
      if (!name || !name.IsScalar())
        throw ConfigError("a map needs 'name', e.g. {name: leaky_relu, alpha: 0.2}");
      config.name = name.Scalar();
    } else {
      throw ConfigError("expected an activation name or {name: ..., <parameter>: ...}");
    }
    const ActivationInfo& info = find_activation(config.name);
    if (node.IsMap()) {
      for (const auto& item : node) {
        const std::string key = item.first.Scalar();
        if (key == "name") continue;
        auto spec = std::find_if(info.params.begin(), info.params.end(),
                                 [&](const ActivationParamSpec& p) { return p.name == key; });
        // An unknown parameter is reported (with the valid ones) by resolve_activation_params.
        const double value =
            spec == info.params.end() ? 0.0 : parse_value(item.second, *spec, where);
        config.params.emplace_back(key, value);
      }
    }
    resolve_activation_params(info, config);  // ranges, switches, constraints between parameters
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    if (message.rfind(where, 0) == 0) throw;
    throw ConfigError(where + ": " + message);
  }
  return config;
}

}  // namespace actlab
