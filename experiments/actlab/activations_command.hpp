#pragma once
// `actlab activations`: the table of every registered activation, with its parameters (defaults
// and valid ranges), formula, derivative and properties, all read from the registry; with a
// config, also the activations its `activations:` section defines (properties from their grid).
#include <filesystem>
#include <ostream>

#include "actlab/nn/formula/formula_program.hpp"

namespace actlab {

enum class TableStyle {
  kText,      // aligned columns for a terminal
  kMarkdown,  // a GitHub table, for the README
};

void print_activation_table(std::ostream& out, TableStyle style = TableStyle::kText,
                            const FormulaLibrary& defined = {});
// The `activations:` section of a config or study file, every definition checked. Throws
// ConfigError.
FormulaLibrary load_formula_library(const std::filesystem::path& file);

}  // namespace actlab
