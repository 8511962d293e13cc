#pragma once
// `actlab activations`: the table of every registered activation, with its parameters (defaults
// and valid ranges), formula, derivative and properties, all read from the registry.
#include <ostream>

namespace actlab {

enum class TableStyle {
  kText,      // aligned columns for a terminal
  kMarkdown,  // a GitHub table, for the README
};

void print_activation_table(std::ostream& out, TableStyle style = TableStyle::kText);

}  // namespace actlab
