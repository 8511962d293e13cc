#include "actlab/nn/activation_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>

#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"
#include "actlab/nn/formula/formula_activation.hpp"

namespace actlab {
namespace {

thread_local const FormulaLibrary* current_library = nullptr;

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

double parse_number(const YAML::Node& node, const std::string& key) {
  double value = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !std::isfinite(value))
    throw ConfigError(key + ": expected a finite number" +
                      (node.IsScalar() ? ", got '" + node.Scalar() + "'" : std::string()));
  return value;
}

bool is_identifier(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// A definition or parameter name must not hide a name the language already gives a meaning to.
void check_new_name(const std::string& name, const std::string& what, const std::string& key) {
  if (!is_identifier(name))
    throw ConfigError(key + ": " + what + " '" + name +
                      "' must be a name of letters, digits and '_' (formulas call it by name)");
  const auto& functions = formula_function_names();
  if (std::find(functions.begin(), functions.end(), name) != functions.end())
    throw ConfigError(key + ": " + what + " '" + name + "' shadows the built-in '" + name +
                      "' of the formula language; choose another name");
  for (const auto& info : activation_registry())
    if (info.name == name)
      throw ConfigError(key + ": " + what + " '" + name + "' shadows the built-in activation '" +
                        name + "'; choose another name");
}

std::shared_ptr<const FormulaSource> formula_source(FormulaDefinition definition) {
  auto source = std::make_shared<FormulaSource>();
  source->definition = std::move(definition);
  if (current_library != nullptr) source->library = *current_library;
  return source;
}

// Compiles and checks with the given values, as the layer will be built.
void check_formula(const FormulaSource& source, const std::vector<double>& values,
                   const YAML::Node& formula_node, const YAML::Node* use_node,
                   const std::string& where) {
  try {
    make_formula_activation(source, values);
  } catch (const FormulaError& e) {
    // A compile error points into the formula text; a failed check, at the entry that uses it.
    if (e.column() > 0 || use_node == nullptr)
      throw FormulaNodeError(e.what(), formula_node, where, source.definition.formula, e.column());
    throw FormulaNodeError(e.what(), *use_node, where, source.definition.formula, 0);
  }
}

}  // namespace

std::string FormulaNodeError::located(const ConfigSource& source) const {
  std::string place = source.locate(node_);
  // A one-line scalar: the fault's own column (one further for a quoted scalar's quote).
  const bool one_line =
      formula_.find('\n') == std::string::npos && node_.IsScalar() && node_.Scalar() == formula_;
  const auto last = place.rfind(':');
  if (column_ > 0 && one_line && last != std::string::npos &&
      place.find_first_not_of("0123456789", last + 1) == std::string::npos &&
      last + 1 < place.size()) {
    const std::size_t start = std::stoul(place.substr(last + 1));
    const std::size_t quote = node_.Tag() == "!" ? 1 : 0;
    place.resize(last + 1);
    place += std::to_string(start + quote + column_ - 1);
  }
  // Appended piecewise: GCC 12 -Wrestrict false positive on `"\n" + text`.
  std::string message = place;
  message += ": ";
  if (!key_path_.empty()) {
    message += key_path_;
    message += ": ";
  }
  message += what();
  if (!formula_.empty() && formula_.find('\n') == std::string::npos) {
    message += '\n';
    message += caret_line(formula_, column_);
  }
  return message;
}

FormulaLibraryScope::FormulaLibraryScope(const FormulaLibrary* library)
    : previous_(current_library) {
  current_library = library;
}

FormulaLibraryScope::~FormulaLibraryScope() {
  current_library = previous_;
}

bool is_formula_activation(const std::string& name) {
  return current_library != nullptr && current_library->count(name) != 0;
}

FormulaDefinition parse_formula_definition(const std::string& name, const YAML::Node& node,
                                           const std::string& where) {
  FormulaDefinition definition;
  definition.name = name;
  if (!name.empty()) check_new_name(name, "activation", where);
  if (node.IsScalar()) {  // a bare formula
    definition.formula = node.Scalar();
    return definition;
  }
  if (!node.IsMap())
    throw ConfigError(where + ": expected {formula: ..., params: {...}} or a formula");
  static const std::vector<std::string> kKeys = {"formula", "params", "learnable", "per_unit",
                                                 "check"};
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end() && key != "name")
      throw ConfigError(
          where + ": unknown key '" + key + "'" +
          (nearest_name(key, kKeys) ? " (did you mean '" + *nearest_name(key, kKeys) + "'?)" : "") +
          "; valid keys here: " + join(kKeys, ", "));
  }
  const YAML::Node formula = node["formula"];
  if (!formula || !formula.IsScalar() || formula.Scalar().empty())
    throw ConfigError(where +
                      ": needs formula: with the formula text, e.g. formula: x * sigmoid(x)");
  definition.formula = formula.Scalar();
  if (const YAML::Node params = node["params"]; params && !params.IsNull()) {
    if (!params.IsMap())
      throw ConfigError(where + ".params: expected a mapping of names to values, e.g. {b: 4.0}");
    for (const auto& item : params) {
      const std::string param = item.first.Scalar();
      const std::string key = where + ".params." + param;
      check_new_name(param, "parameter", key);
      if (param == definition.name)
        throw ConfigError(key + ": a parameter cannot have its activation's name");
      if (item.second.IsNull())
        throw ConfigError(key + ": parameter '" + param +
                          "' has no value; give its default, e.g. " + param + ": 1.0");
      definition.params.emplace_back(param, parse_number(item.second, key));
    }
  }
  if (const YAML::Node learnable = node["learnable"]; learnable && !learnable.IsNull()) {
    std::vector<std::string> names;
    for (const auto& [param, value] : definition.params)
      names.push_back(param);
    auto add = [&](const YAML::Node& item) {
      const std::string param = item.Scalar();
      if (std::find(names.begin(), names.end(), param) == names.end())
        throw ConfigError(where + ".learnable: '" + param + "' is not one of its params (" +
                          (names.empty() ? std::string("none") : join(names, ", ")) + ")");
      definition.learnable.push_back(param);
    };
    if (learnable.IsScalar())
      add(learnable);
    else if (learnable.IsSequence())
      for (const auto& item : learnable)
        add(item);
    else
      throw ConfigError(where + ".learnable: expected a list of parameter names, e.g. [b]");
    if (definition.learnable.size() > kMaxLearnableFormulaParams)
      throw ConfigError(where + ".learnable: at most " +
                        std::to_string(kMaxLearnableFormulaParams) + " learnable parameters");
  }
  if (const YAML::Node check = node["check"]; check && !check.IsNull()) {
    if (!check.IsScalar() || (check.Scalar() != "error" && check.Scalar() != "warn"))
      throw ConfigError(where +
                        ".check: expected error (the default: a formula that fails the "
                        "load-time check is refused) or warn (it is reported and used)");
    definition.check_warns = check.Scalar() == "warn";
  }
  if (const YAML::Node per_unit = node["per_unit"]; per_unit && !per_unit.IsNull()) {
    if (!YAML::convert<bool>::decode(per_unit, definition.per_unit))
      throw ConfigError(where + ".per_unit: expected true or false");
    if (definition.per_unit && definition.learnable.empty())
      throw ConfigError(where + ".per_unit: applies to learnable parameters, and none is given");
  }
  return definition;
}

void check_formula_definition(const FormulaDefinition& definition, const FormulaLibrary& library,
                              const YAML::Node& node, const std::string& where) {
  FormulaSource source{definition, library};
  const YAML::Node formula = node.IsMap() ? node["formula"] : node;
  check_formula(source, formula_param_values(definition, {}), formula, nullptr,
                where + (node.IsMap() ? ".formula" : ""));
}

YAML::Node formula_definition_yaml(const FormulaDefinition& definition) {
  YAML::Node node(YAML::NodeType::Map);
  node["formula"] = definition.formula;
  if (!definition.params.empty()) {
    YAML::Node params(YAML::NodeType::Map);
    for (const auto& [name, value] : definition.params)
      params[name] = value;
    params.SetStyle(YAML::EmitterStyle::Flow);
    node["params"] = params;
  }
  if (definition.check_warns) node["check"] = "warn";
  if (!definition.learnable.empty()) {
    YAML::Node learnable(YAML::NodeType::Sequence);
    for (const auto& name : definition.learnable)
      learnable.push_back(name);
    learnable.SetStyle(YAML::EmitterStyle::Flow);
    node["learnable"] = learnable;
    node["per_unit"] = definition.per_unit;
  }
  return node;
}

ActivationConfig parse_activation_config(const YAML::Node& node, const std::string& where) {
  ActivationConfig config;
  try {
    if (node.IsMap() && node["formula"]) {  // inline: {formula: ..., params: {...}}
      std::string name;
      if (const YAML::Node label = node["name"]; label && label.IsScalar()) name = label.Scalar();
      if (current_library != nullptr && current_library->count(name))
        throw ConfigError("'" + name +
                          "' is defined under activations:; use it by name, or give "
                          "the inline formula another name");
      FormulaDefinition definition = parse_formula_definition(name, node, where);
      config.name = name.empty() ? "formula" : name;
      config.formula = formula_source(std::move(definition));
      check_formula(*config.formula, formula_param_values(config.formula->definition, {}),
                    node["formula"], nullptr, where + ".formula");
      return config;
    }
    if (node.IsScalar()) {
      config.name = node.Scalar();
    } else if (node.IsMap()) {
      const YAML::Node name = node["name"];
      if (!name || !name.IsScalar())
        throw ConfigError(
            "a map needs 'name', e.g. {name: leaky_relu, alpha: 0.2}, or 'formula', e.g. "
            "{formula: \"x * sigmoid(x)\"}");
      config.name = name.Scalar();
    } else {
      throw ConfigError(
          "expected an activation name, {name: ..., <parameter>: ...} or {formula: ...}");
    }
    if (current_library != nullptr) {
      if (auto it = current_library->find(config.name); it != current_library->end()) {
        config.formula = formula_source(it->second);
        if (node.IsMap())
          for (const auto& item : node) {
            const std::string key = item.first.Scalar();
            if (key == "name") continue;
            config.params.emplace_back(key, parse_number(item.second, where + "." + key));
          }
        const auto values = formula_param_values(it->second, config.params);
        check_formula(*config.formula, values, node, &node, where);
        return config;
      }
    }
    const ActivationInfo& info = [&]() -> const ActivationInfo& {
      try {
        return find_activation(config.name);
      } catch (const ConfigError& e) {
        if (current_library == nullptr || current_library->empty()) throw;
        std::vector<std::string> names = activation_names();
        for (const auto& [name, definition] : *current_library)
          names.push_back(name);
        throw ConfigError(unknown_name_message("activation", config.name, names));
      }
    }();
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
  } catch (const FormulaNodeError&) {
    throw;
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    if (message.rfind(where, 0) == 0) throw;
    throw ConfigError(where + ": " + message);
  }
  return config;
}

}  // namespace actlab
