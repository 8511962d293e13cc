#pragma once
// The top-level `activations:` section: activations defined by a formula, usable by name in
// model.activation, the layer list and the sweep (configs/README.md "Activations from a formula").
//   activations:
//     squareplus:
//       formula: (x + sqrt(x^2 + b)) / 2
//       params: {b: 4.0}
//       learnable: [b]        # optional: trained with the weights, per layer ...
//       per_unit: false       # ... or one per unit
//     smooth_relu: where(x > 0, x, 0) + 0.1 * softplus(x)    # a bare formula
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "actlab/config/field_rules.hpp"
#include "actlab/nn/formula/formula_program.hpp"

namespace actlab {

// Every definition is compiled and checked (finite f and f' on the grid, f' against finite
// differences) when the section is read; errors name the file, line and column of the formula.
struct ActivationLibraryField {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  void read(YamlSection& root, const std::string& key, FormulaLibrary& library) const;
  std::optional<YAML::Node> write(const FormulaLibrary& library) const;
};

}  // namespace actlab
