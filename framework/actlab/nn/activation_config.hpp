#pragma once
// Reading an activation from a config: either a name, or a map with a name and parameters, or a
// formula (defined in the config's `activations:` section, or inline).
//   activation: gelu
//   activation: {name: leaky_relu, alpha: 0.2}
//   activation: {name: swish, beta: 1.5, learnable: true}
//   activation: squareplus                    # defined under activations:
//   activation: {name: squareplus, b: 1.0}    # with its parameter b overridden
//   activation: {formula: "x * tanh(softplus(x))"}
#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

#include "actlab/config/yaml_reader.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/formula/formula_program.hpp"

namespace actlab {

// A formula refused where the YAML gives it: `node` holds the formula text (or the entry that
// uses it), `column` is 1-based in the formula (0: the formula as a whole).
class FormulaNodeError : public ConfigError {
 public:
  FormulaNodeError(const std::string& message, YAML::Node node, std::string key_path,
                   std::string formula, std::size_t column)
      : ConfigError(message),
        node_(std::move(node)),
        key_path_(std::move(key_path)),
        formula_(std::move(formula)),
        column_(column) {}
  // "file:line:column: key.path: message", the column that of the fault inside a one-line
  // formula, then the formula with a caret under it.
  std::string located(const ConfigSource& source) const;
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  std::string key_path_, formula_;
  std::size_t column_;
};

// The definitions of the config being parsed, visible to parse_activation_config (on this thread)
// while the scope lives; parse_config opens it around the whole config.
class FormulaLibraryScope {
 public:
  explicit FormulaLibraryScope(const FormulaLibrary* library);
  ~FormulaLibraryScope();
  FormulaLibraryScope(const FormulaLibraryScope&) = delete;
  FormulaLibraryScope& operator=(const FormulaLibraryScope&) = delete;

 private:
  const FormulaLibrary* previous_;
};

// Whether `name` is defined by the `activations:` section in scope (FormulaLibraryScope).
bool is_formula_activation(const std::string& name);

// Parses and validates (name, parameter names, ranges, switches) the node; `where` names it in
// errors ("model.activation"). Throws ConfigError (FormulaNodeError for a formula's fault); an
// unknown name lists the valid ones and suggests the nearest.
ActivationConfig parse_activation_config(const YAML::Node& node, const std::string& where);

// Reads one definition of the `activations:` section (`node` is its value) and checks its formula
// compiles against `library` (which holds every definition of the section). Throws ConfigError.
FormulaDefinition parse_formula_definition(const std::string& name, const YAML::Node& node,
                                           const std::string& where);
// Compiles and checks a definition with its default values (the section's load-time check).
void check_formula_definition(const FormulaDefinition& definition, const FormulaLibrary& library,
                              const YAML::Node& node, const std::string& where);
// The YAML of one definition, as the section writes it.
YAML::Node formula_definition_yaml(const FormulaDefinition& definition);

}  // namespace actlab
