#pragma once
// f'(x) of a formula as text, for `actlab activations`: the tree differentiated symbolically by the
// same rules the program applies numerically, with 0 and 1 folded away. For display only: the
// values come from the compiled program (formula_program.hpp). A call of an activation prints as
// its derivative by name: gelu(u) gives gelu'(u) · u'.
#include <string>

#include "actlab/nn/formula/formula_parser.hpp"

namespace actlab {

std::string formula_derivative_text(const FormulaNode& root);

}  // namespace actlab
