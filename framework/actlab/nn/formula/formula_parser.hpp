#pragma once
// The language of activation formulas in a config (configs/README.md "Activations from a
// formula"), parsed into a tree that formula_program.hpp compiles once into a flat program.
//
//   expression := comparison
//   comparison := sum [(< | <= | > | >= | == | !=) sum]
//   sum        := product {(+ | -) product}
//   product    := unary {(* | /) unary}
//   unary      := - unary | power
//   power      := primary [^ unary]          (right-associative: -x^2 = -(x^2), 2^-x allowed)
//   primary    := number | name | name ( arguments ) | ( expression )
//   arguments  := argument {, argument}      argument := expression | name = expression
//
// Stated limits, so that a formula cannot exhaust the stack or make a program too large to keep
// in cache: kMaxFormulaLength characters, kMaxFormulaDepth levels of nesting, kMaxFormulaNodes
// operations.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actlab/core/error.hpp"

namespace actlab {

inline constexpr std::size_t kMaxFormulaLength = 1000;
inline constexpr std::size_t kMaxFormulaDepth = 32;
inline constexpr std::size_t kMaxFormulaNodes = 200;

// A formula the language refuses. column() is 1-based in the formula text (0: the formula as a
// whole), so that the config reader can point at it in the YAML.
class FormulaError : public ConfigError {
 public:
  FormulaError(const std::string& message, std::size_t column)
      : ConfigError(message), column_(column) {}
  std::size_t column() const { return column_; }

 private:
  std::size_t column_;
};

struct FormulaNode {
  enum class Kind { kNumber, kName, kNegate, kBinary, kCall };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string name;        // kName, kCall: the name; kBinary: the operator ("+", "<=", "^", ...)
  std::size_t column = 1;  // where it starts in the formula text
  std::vector<std::unique_ptr<FormulaNode>> args;  // operands, or the call's arguments
  std::vector<std::string> keywords;               // kCall: per argument, its keyword or ""
};

// Throws FormulaError for a syntax error or a formula over the limits.
std::unique_ptr<FormulaNode> parse_formula(std::string_view text);

// The formula with its column marked by a caret under it, for messages:
//   (x + sqrt(x^2 + b) / 2
//                      ^
std::string caret_line(std::string_view text, std::size_t column);

}  // namespace actlab
