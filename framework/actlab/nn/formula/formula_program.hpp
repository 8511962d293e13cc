#pragma once
// A formula compiled once into a flat program of operations over blocks of elements: each operation
// runs a vectorisable loop over kFormulaBlock elements, computing its values together with their
// derivatives by forward-mode automatic differentiation (dual numbers: every value carries its
// exact derivative with respect to x and to each learnable parameter, propagated by each
// operation's own rule). No derivative is ever taken by finite differences. Constant
// subexpressions are folded at compile time; registers are reused once their value is dead.
//
// sigmoid, softplus, log1p and expm1 use the native activations' stable evaluations
// (activation_functions.hpp `stable::`), and every built-in elementwise activation is callable by
// name with its own f and f' (`gelu(x)`, `elu(x, alpha=0.5)`).
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "actlab/nn/activation.hpp"
#include "actlab/nn/formula/formula_parser.hpp"

namespace actlab {

inline constexpr std::size_t kFormulaBlock = 256;
inline constexpr std::size_t kMaxLearnableFormulaParams = 4;

// One activation defined by a formula (the config's `activations:` section, or inline).
struct FormulaDefinition {
  std::string name;                                    // "squareplus"; "" for an inline formula
  std::string formula;                                 // the text, as written
  std::vector<std::pair<std::string, double>> params;  // name and default value, in order
  std::vector<std::string> learnable;                  // names of params trained with the weights
  bool per_unit = false;  // learnable params: one per unit instead of one per layer
  // `check: warn`: a failed load-time check (formula_activation.hpp) is a warning, not an error.
  bool check_warns = false;

  bool operator==(const FormulaDefinition&) const = default;
};

// The definitions of one config, by name: a formula may call another by name.
using FormulaLibrary = std::map<std::string, FormulaDefinition, std::less<>>;

// The functions and constants the language knows (not counting the built-in activations).
const std::vector<std::string>& formula_function_names();

enum class FormulaOp : std::uint8_t {
  kConst,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kNeg,
  kSquare,
  kCube,
  kPowConst,
  kPow,
  kExp,
  kLog,
  kLog1p,
  kExpm1,
  kSqrt,
  kAbs,
  kSign,
  kTanh,
  kSigmoid,
  kSoftplus,
  kErf,
  kErfc,
  kMin,
  kMax,
  kWhere,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  kActivation
};

struct FormulaInstruction {
  FormulaOp op = FormulaOp::kConst;
  std::uint16_t out = 0, a = 0, b = 0, c = 0;  // registers
  double constant = 0;                         // kConst's value; kPowConst's exponent
  std::uint16_t activation = 0;                // kActivation: index in the built-in table
  ActivationParams<double> params{};           // kActivation: its parameters
  // The directions (bit 0: x, bit j: learnable parameter j) in which each operand and the result
  // have a derivative that is not identically 0.
  std::uint8_t active_a = 0, active_b = 0, active_c = 0, active_out = 0;
};

class FormulaProgram {
 public:
  // Compiles `definition` with its parameter values (defaults overlaid with a config's overrides);
  // the params named in `definition.learnable` become inputs, the others constants. Throws
  // FormulaError (column in definition.formula) for an unknown name, a wrong call, a
  // self-reference.
  static FormulaProgram compile(const FormulaDefinition& definition,
                                const std::vector<double>& param_values,
                                const FormulaLibrary& library);

  std::size_t learnable_count() const { return learnable_count_; }
  std::size_t size() const { return code_.size(); }

  // A learnable parameter's values: one per element (per unit: a row's columns), or one for all.
  template <typename T>
  struct ParamInput {
    const T* values = nullptr;
    bool per_element = false;
  };

  // y = f(x) of n elements; with dydx, also f'(x); with dydparam (one pointer per learnable
  // parameter), also ∂f/∂θ. `params` gives each learnable parameter's value(s).
  template <typename T>
  void run(const T* x, std::span<const ParamInput<T>> params, T* y, T* dydx,
           std::span<T* const> dydparam, std::size_t n) const;

 private:
  friend class FormulaCompiler;
  bool is_constant_register(std::uint16_t reg) const {
    for (const auto& [r, value] : constants_)
      if (r == reg) return true;
    return false;
  }
  std::vector<FormulaInstruction> code_;
  // Registers: 0 is x, 1..learnable_count are the learnable parameters, the others hold constants
  // (filled once per run) or intermediate values (reused once dead).
  std::vector<std::pair<std::uint16_t, double>> constants_;
  std::size_t registers_ = 1;
  std::size_t learnable_count_ = 0;
  std::uint16_t result_ = 0;
  std::uint8_t result_active_ = 0;
};

}  // namespace actlab
