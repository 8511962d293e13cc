#include "actlab/nn/formula/formula_program.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>

#include "actlab/core/text.hpp"
#include "actlab/nn/activation_functions.hpp"

namespace actlab {

// ---------------------------------------------------------------------------------------------
// The element rules: each returns the value and sets the slope(s), the derivative with respect to
// each operand. Where only the value is needed the slope is dead code and the compiler drops it.
namespace {

using activations::stable::sigmoid;
using activations::stable::sigmoid_slope;

struct MulRule {
  template <typename T>
  static T apply(T a, T b, T& sa, T& sb, T) {
    sa = b;
    sb = a;
    return a * b;
  }
};
struct DivRule {
  template <typename T>
  static T apply(T a, T b, T& sa, T& sb, T) {
    const T r = T{1} / b;
    const T y = a * r;
    sa = r;
    sb = -y * r;
    return y;
  }
};
struct PowRule {
  template <typename T>
  static T apply(T a, T b, T& sa, T& sb, T) {
    const T y = std::pow(a, b);
    sa = b * std::pow(a, b - T{1});
    sb = a > T{0} ? y * std::log(a > T{0} ? a : T{1}) : T{0};
    return y;
  }
};
// At a tie each operand gets half the slope, as PyTorch's torch.maximum and torch.minimum.
struct MinRule {
  template <typename T>
  static T apply(T a, T b, T& sa, T& sb, T) {
    sa = a < b ? T{1} : (a == b ? T{0.5} : T{0});
    sb = T{1} - sa;
    return a < b ? a : b;
  }
};
struct MaxRule {
  template <typename T>
  static T apply(T a, T b, T& sa, T& sb, T) {
    sa = a > b ? T{1} : (a == b ? T{0.5} : T{0});
    sb = T{1} - sa;
    return a > b ? a : b;
  }
};

struct SquareRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = T{2} * a;
    return a * a;
  }
};
struct CubeRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    const T a2 = a * a;
    s = T{3} * a2;
    return a2 * a;
  }
};
struct PowConstRule {
  template <typename T>
  static T apply(T a, T& s, T k) {
    s = k * std::pow(a, k - T{1});
    return std::pow(a, k);
  }
};
struct ExpRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    const T y = std::exp(a);
    s = y;
    return y;
  }
};
struct LogRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = T{1} / a;
    return std::log(a);
  }
};
struct Log1pRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = T{1} / (T{1} + a);
    return std::log1p(a);
  }
};
// The slope exp(a) directly, not y + 1, which cancels for negative a (as ELU's rule).
struct Expm1Rule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = std::exp(a);
    return std::expm1(a);
  }
};
struct SqrtRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    const T y = std::sqrt(a);
    s = T{0.5} / y;
    return y;
  }
};
// |x|' at 0 is 0, as PyTorch's abs.
struct AbsRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = a > T{0} ? T{1} : (a < T{0} ? T{-1} : T{0});
    return std::abs(a);
  }
};
struct SignRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = T{0};
    return a > T{0} ? T{1} : (a < T{0} ? T{-1} : T{0});
  }
};
struct TanhRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    const T y = std::tanh(a);
    s = T{1} - y * y;
    return y;
  }
};
struct SigmoidRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    const T e = std::exp(-std::abs(a));
    s = sigmoid_slope(e);
    return sigmoid(a, e);
  }
};
struct SoftplusRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    const T e = std::exp(-std::abs(a));
    s = sigmoid(a, e);
    return activations::stable::softplus(a, e);
  }
};
struct ErfRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = static_cast<T>(std::numbers::inv_sqrtpi * 2) * std::exp(-a * a);
    return std::erf(a);
  }
};
struct ErfcRule {
  template <typename T>
  static T apply(T a, T& s, T) {
    s = static_cast<T>(-std::numbers::inv_sqrtpi * 2) * std::exp(-a * a);
    return std::erfc(a);
  }
};

// ---------------------------------------------------------------------------------------------
// The built-in elementwise activations, callable from a formula by name.

template <typename T>
using BlockRule = void (*)(const T* __restrict a, T* __restrict y, T* __restrict s, std::size_t m,
                           const ActivationParams<T>& p);

struct BuiltinActivation {
  std::string_view name;
  std::span<const ActivationParamSpec> params;
  BlockRule<float> rule_float;
  BlockRule<double> rule_double;
};

// s (when not null) = f'(a), from a and y as the native layer computes it.
template <typename A, typename T>
[[gnu::flatten]] void builtin_block(const T* __restrict a, T* __restrict y, T* __restrict s,
                                    std::size_t m, const ActivationParams<T>& p) {
  if (s == nullptr) {
#pragma omp simd
    for (std::size_t i = 0; i < m; ++i)
      y[i] = A::f(a[i], p);
    return;
  }
#pragma omp simd
  for (std::size_t i = 0; i < m; ++i) {
    const T ai = a[i];
    const T yi = A::f(ai, p);
    y[i] = yi;
    s[i] = A::df(ai, yi, p);
  }
}

template <typename... A>
std::vector<BuiltinActivation> builtin_table(activations::TypeList<A...>) {
  return {BuiltinActivation{A::name, std::span<const ActivationParamSpec>(A::params),
                            &builtin_block<A, float>, &builtin_block<A, double>}...};
}

const std::vector<BuiltinActivation>& builtins() {
  static const std::vector<BuiltinActivation> table =
      builtin_table(activations::ElementwiseActivations{});
  return table;
}

// tanh(softplus(u)), which mish and its relatives contain, as one operation: with w = exp(u),
// tanh(log(1 + w)) = (w² + 2w) / (w² + 2w + 2), written with e = exp(-|u|) so that it needs one
// exp and cannot overflow (activation_functions.hpp, Mish). Its slope (1 - t²) σ(u) comes from the
// same numerator N and denominator D: 4 e (1 + e) m / D², m = e for u >= 0 and 1 below.
struct TanhOfSoftplus {
  template <typename T>
  static T f(T u, const ActivationParams<T>&) {
    const T e = std::exp(-std::abs(u));
    return activations::Mish::numerator(u, e) / activations::Mish::denominator(u, e);
  }
  template <typename T>
  static T df(T u, T, const ActivationParams<T>&) {
    const T e = std::exp(-std::abs(u));
    const T d = activations::Mish::denominator(u, e);
    const T m = u >= T{0} ? e : T{1};
    return T{4} * e * (T{1} + e) * m / (d * d);
  }
};

// The index kActivation uses for TanhOfSoftplus, past the built-ins.
constexpr std::uint16_t kTanhOfSoftplus = 0xFFFF;

struct FunctionSpec {
  std::string_view name;
  FormulaOp op;
  std::size_t arity;
};

constexpr std::array<FunctionSpec, 16> kFunctions{{
    {"exp", FormulaOp::kExp, 1},
    {"log", FormulaOp::kLog, 1},
    {"log1p", FormulaOp::kLog1p, 1},
    {"expm1", FormulaOp::kExpm1, 1},
    {"sqrt", FormulaOp::kSqrt, 1},
    {"abs", FormulaOp::kAbs, 1},
    {"sign", FormulaOp::kSign, 1},
    {"tanh", FormulaOp::kTanh, 1},
    {"sigmoid", FormulaOp::kSigmoid, 1},
    {"softplus", FormulaOp::kSoftplus, 1},
    {"erf", FormulaOp::kErf, 1},
    {"erfc", FormulaOp::kErfc, 1},
    {"min", FormulaOp::kMin, 2},
    {"max", FormulaOp::kMax, 2},
    {"where", FormulaOp::kWhere, 3},
    {"pow", FormulaOp::kPow, 2},
}};

const FunctionSpec* find_function(std::string_view name) {
  for (const auto& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

const BuiltinActivation* find_builtin(std::string_view name) {
  for (const auto& b : builtins())
    if (b.name == name) return &b;
  return nullptr;
}

// The value of one operation on constants (constant folding), with the same rules as the program.
double fold(const FormulaInstruction& in, double a, double b, double c);

}  // namespace

const std::vector<std::string>& formula_function_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& f : kFunctions)
      out.emplace_back(f.name);
    out.emplace_back("pi");
    out.emplace_back("e");
    out.emplace_back("x");
    return out;
  }();
  return names;
}

// ---------------------------------------------------------------------------------------------
// The compiler: a walk over the tree emitting one instruction per operation. A subexpression's
// register is used once, by its parent, so it is freed there; a variable (x, a parameter, an
// argument inside an inlined formula) is a reference that no consumer frees.

class FormulaCompiler {
 public:
  static constexpr std::size_t kMaxProgramLength = 2000;

  FormulaCompiler(const FormulaLibrary& library, FormulaProgram& program)
      : library_(library), program_(program) {}

  struct Value {
    bool is_constant = false;
    double constant = 0;
    std::uint16_t reg = 0;
    std::uint8_t active = 0;
    bool temporary = false;  // a working register its consumer frees
  };

  // Names of one definition's scope: x and its parameters.
  struct Scope {
    const FormulaDefinition* definition = nullptr;
    Value x;
    std::map<std::string, Value, std::less<>> params;
  };

  Value compile_definition(const FormulaNode& root, const Scope& scope) {
    scopes_.push_back(&scope);
    Value v = compile(root);
    scopes_.pop_back();
    return v;
  }

  std::uint16_t new_register() {
    if (!free_.empty()) {
      const std::uint16_t r = free_.back();
      free_.pop_back();
      return r;
    }
    return static_cast<std::uint16_t>(program_.registers_++);
  }
  void release(const Value& v) {
    if (v.temporary && !v.is_constant) free_.push_back(v.reg);
  }
  std::uint16_t constant_register(double value) {
    for (const auto& [reg, c] : program_.constants_)
      if (c == value || (std::isnan(c) && std::isnan(value))) return reg;
    const auto reg = static_cast<std::uint16_t>(program_.registers_++);
    program_.constants_.emplace_back(reg, value);
    return reg;
  }
  std::uint16_t materialise(const Value& v) {
    return v.is_constant ? constant_register(v.constant) : v.reg;
  }
  static Value constant(double c) { return Value{.is_constant = true, .constant = c}; }

  // Emits `op` on the operands, or folds it when all are constant.
  Value emit(FormulaInstruction in, std::initializer_list<Value> operands) {
    const Value* ops = operands.begin();
    const std::size_t n = operands.size();
    bool all_constant = true;
    for (std::size_t k = 0; k < n; ++k)
      all_constant = all_constant && ops[k].is_constant;
    if (all_constant)
      return constant(fold(in, n > 0 ? ops[0].constant : 0, n > 1 ? ops[1].constant : 0,
                           n > 2 ? ops[2].constant : 0));
    std::uint8_t active = 0;
    if (n > 0) in.a = materialise(ops[0]), in.active_a = ops[0].active;
    if (n > 1) in.b = materialise(ops[1]), in.active_b = ops[1].active;
    if (n > 2) in.c = materialise(ops[2]), in.active_c = ops[2].active;
    switch (in.op) {
      case FormulaOp::kSign:
      case FormulaOp::kLess:
      case FormulaOp::kLessEqual:
      case FormulaOp::kGreater:
      case FormulaOp::kGreaterEqual:
      case FormulaOp::kEqual:
      case FormulaOp::kNotEqual:
        break;  // piecewise constant: derivative 0 wherever it exists
      case FormulaOp::kWhere:
        active = in.active_b | in.active_c;
        break;
      default:
        active = static_cast<std::uint8_t>(in.active_a | in.active_b | in.active_c);
    }
    in.active_out = active;
    // Calls of other definitions are inlined, so a chain of them can multiply the program.
    if (program_.code_.size() >= kMaxProgramLength)
      throw FormulaError(
          "the formula is too long once the activations it calls are inlined: at most " +
              std::to_string(kMaxProgramLength) + " operations",
          in_callee_ ? outer_column_ : 0);
    in.out = new_register();
    for (std::size_t k = 0; k < n; ++k)
      release(ops[k]);
    program_.code_.push_back(in);
    return Value{.reg = in.out, .active = active, .temporary = true};
  }

  [[noreturn]] void fail(const FormulaNode& node, const std::string& message) const {
    throw FormulaError(message, in_callee_ ? outer_column_ : node.column);
  }

  std::vector<std::string> names_in_scope() const {
    std::vector<std::string> names = formula_function_names();
    for (const auto& [name, v] : scopes_.back()->params)
      names.push_back(name);
    for (const auto& b : builtins())
      names.emplace_back(b.name);
    for (const auto& [name, d] : library_)
      names.push_back(name);
    return names;
  }

  Value compile(const FormulaNode& node) {
    using Kind = FormulaNode::Kind;
    switch (node.kind) {
      case Kind::kNumber:
        return constant(node.number);
      case Kind::kName:
        return name(node);
      case Kind::kNegate: {
        const Value a = compile(*node.args[0]);
        return emit({.op = FormulaOp::kNeg}, {a});
      }
      case Kind::kBinary:
        return binary(node);
      case Kind::kCall:
        return call(node);
    }
    fail(node, "unknown expression");
  }

  Value name(const FormulaNode& node) {
    const Scope& scope = *scopes_.back();
    if (node.name == "x") return scope.x;
    if (auto it = scope.params.find(node.name); it != scope.params.end()) return it->second;
    if (node.name == "pi") return constant(std::numbers::pi);
    if (node.name == "e") return constant(std::numbers::e);
    if (find_function(node.name) || find_builtin(node.name) || library_.count(node.name))
      fail(node, "'" + node.name + "' is a function: call it, e.g. " + node.name + "(x)");
    std::vector<std::string> variables = {"x", "pi", "e"};
    for (const auto& [param, v] : scope.params)
      variables.push_back(param);
    std::string message = "unknown variable '" + node.name + "'";
    if (auto near = nearest_name(node.name, variables))
      message += " (did you mean '" + *near + "'?)";
    message += "; the variables are " + join(variables, ", ");
    if (scope.params.empty()) message += " (declare parameters under params:)";
    fail(node, message);
  }

  Value binary(const FormulaNode& node) {
    const std::string& op = node.name;
    if (op == "^") {
      const Value base = compile(*node.args[0]);
      const Value exponent = compile(*node.args[1]);
      if (exponent.is_constant && !base.is_constant) {
        if (exponent.constant == 1) return base;
        if (exponent.constant == 2) return emit({.op = FormulaOp::kSquare}, {base});
        if (exponent.constant == 3) return emit({.op = FormulaOp::kCube}, {base});
        if (exponent.constant == 0.5) return emit({.op = FormulaOp::kSqrt}, {base});
        return emit({.op = FormulaOp::kPowConst, .constant = exponent.constant}, {base});
      }
      return emit({.op = FormulaOp::kPow}, {base, exponent});
    }
    const Value a = compile(*node.args[0]);
    const Value b = compile(*node.args[1]);
    static const std::map<std::string, FormulaOp, std::less<>> kOps = {
        {"+", FormulaOp::kAdd},     {"-", FormulaOp::kSub},
        {"*", FormulaOp::kMul},     {"/", FormulaOp::kDiv},
        {"<", FormulaOp::kLess},    {"<=", FormulaOp::kLessEqual},
        {">", FormulaOp::kGreater}, {">=", FormulaOp::kGreaterEqual},
        {"==", FormulaOp::kEqual},  {"!=", FormulaOp::kNotEqual}};
    return emit({.op = kOps.at(op)}, {a, b});
  }

  Value call(const FormulaNode& node) {
    const FunctionSpec* f = find_function(node.name);
    const BuiltinActivation* builtin = find_builtin(node.name);
    // sigmoid, tanh and softplus are functions and activations: with parameters, the activation
    // (softplus(x, beta=2)).
    if (f && builtin && node.args.size() != f->arity) f = nullptr;
    if (f) {
      for (std::size_t k = 0; k < node.keywords.size(); ++k)
        if (!node.keywords[k].empty())
          fail(*node.args[k], node.name + "(...) takes no keyword arguments");
      if (node.args.size() != f->arity)
        fail(node, node.name + "(...) takes " + std::to_string(f->arity) + " argument" +
                       (f->arity == 1 ? "" : "s") + ", got " + std::to_string(node.args.size()));
      // tanh(softplus(u)): one operation (TanhOfSoftplus), one exp instead of three calls.
      const FormulaNode& inner = *node.args[0];
      if (f->op == FormulaOp::kTanh && inner.kind == FormulaNode::Kind::kCall &&
          inner.name == "softplus" && inner.args.size() == 1 && inner.keywords[0].empty())
        return emit({.op = FormulaOp::kActivation, .activation = kTanhOfSoftplus},
                    {compile(*inner.args[0])});
      std::vector<Value> args;
      for (const auto& arg : node.args)
        args.push_back(compile(*arg));
      if (f->arity == 1) return emit({.op = f->op}, {args[0]});
      if (f->arity == 2) return emit({.op = f->op}, {args[0], args[1]});
      return emit({.op = f->op}, {args[0], args[1], args[2]});
    }
    if (builtin) return builtin_call(node, *builtin);
    if (auto it = library_.find(node.name); it != library_.end())
      return user_call(node, it->second);
    std::string message = "unknown function '" + node.name + "'";
    std::vector<std::string> functions;
    for (const auto& function : kFunctions)
      functions.emplace_back(function.name);
    for (const auto& b : builtins())
      if (!find_function(b.name)) functions.emplace_back(b.name);
    for (const auto& [name, d] : library_)
      functions.push_back(name);
    if (auto near = nearest_name(node.name, functions))
      message += " (did you mean '" + *near + "'?)";
    fail(node, message + "; the functions are " + join(functions, ", "));
  }

  // The call's first argument is the input; the others set parameters, by position or keyword,
  // and must be constants.
  std::vector<std::pair<std::string, double>> call_parameters(
      const FormulaNode& node, const std::vector<std::string>& param_names) {
    std::vector<std::pair<std::string, double>> given;
    if (node.args.empty()) fail(node, node.name + "(...) needs its input: " + node.name + "(x)");
    if (!node.keywords[0].empty())
      fail(*node.args[0],
           "the first argument of " + node.name + "(...) is its input, not a keyword");
    for (std::size_t k = 1; k < node.args.size(); ++k) {
      std::string key = node.keywords[k];
      if (key.empty()) {
        if (k - 1 >= param_names.size())
          fail(*node.args[k], node.name + "(...) takes " + std::to_string(param_names.size()) +
                                  " parameter" + (param_names.size() == 1 ? "" : "s") +
                                  " after its input, got " + std::to_string(node.args.size() - 1));
        key = param_names[k - 1];
      } else if (std::find(param_names.begin(), param_names.end(), key) == param_names.end()) {
        std::string message = node.name + "(...) has no parameter '" + key + "'";
        if (auto near = nearest_name(key, param_names))
          message += " (did you mean '" + *near + "'?)";
        fail(*node.args[k], message + "; its parameters: " +
                                (param_names.empty() ? "none" : join(param_names, ", ")));
      }
      for (const auto& [seen, value] : given)
        if (seen == key) fail(*node.args[k], "parameter '" + key + "' given twice");
      const Value v = compile(*node.args[k]);
      if (!v.is_constant)
        fail(*node.args[k], "parameter '" + key + "' of " + node.name +
                                "(...) must be a constant (numbers and non-learnable parameters)");
      given.emplace_back(key, v.constant);
    }
    return given;
  }

  Value builtin_call(const FormulaNode& node, const BuiltinActivation& builtin) {
    std::vector<std::string> names;
    for (const auto& p : builtin.params)
      names.emplace_back(p.name);
    ActivationConfig config;
    config.name = std::string(builtin.name);
    config.params = call_parameters(node, names);
    ActivationParams<double> params{};
    try {
      params = resolve_activation_params(find_activation(builtin.name), config);
    } catch (const ConfigError& e) {
      fail(node, e.what());
    }
    const Value input = compile(*node.args[0]);
    const auto index = static_cast<std::uint16_t>(&builtin - builtins().data());
    return emit({.op = FormulaOp::kActivation, .activation = index, .params = params}, {input});
  }

  Value user_call(const FormulaNode& node, const FormulaDefinition& callee) {
    for (const auto* scope : scopes_)
      if (scope->definition && scope->definition->name == callee.name) {
        const FormulaDefinition* through = scopes_.back()->definition;
        fail(node,
             through == nullptr || through->name == callee.name
                 ? "'" + callee.name + "' refers to itself"
                 : "'" + callee.name + "' refers to itself (through '" + through->name + "')");
      }
    std::vector<std::string> names;
    for (const auto& [name, value] : callee.params)
      names.push_back(name);
    const auto given = call_parameters(node, names);
    const Value input = compile(*node.args[0]);
    Scope scope;
    scope.definition = &callee;
    scope.x = input;
    scope.x.temporary = false;  // used as often as the callee names x; freed after it
    for (const auto& [name, value] : callee.params)
      scope.params[name] = constant(value);
    for (const auto& [name, value] : given)
      scope.params[name] = constant(value);
    std::unique_ptr<FormulaNode> tree;
    try {
      tree = parse_formula(callee.formula);
    } catch (const FormulaError& e) {
      fail(node, std::string("in '") + callee.name + "': " + e.what());
    }
    // Errors inside the callee are reported at the call.
    const bool was_in_callee = in_callee_;
    const std::size_t was_column = outer_column_;
    if (!in_callee_) outer_column_ = node.column;
    in_callee_ = true;
    Value result = compile_definition(*tree, scope);
    in_callee_ = was_in_callee;
    outer_column_ = was_column;
    if (result.reg == input.reg && !result.is_constant && !result.temporary) {
      result.temporary = input.temporary;  // the callee returned its input unchanged
      return result;
    }
    release(input);
    return result;
  }

 private:
  const FormulaLibrary& library_;
  FormulaProgram& program_;
  std::vector<const Scope*> scopes_;
  std::vector<std::uint16_t> free_;
  bool in_callee_ = false;
  std::size_t outer_column_ = 0;
};

FormulaProgram FormulaProgram::compile(const FormulaDefinition& definition,
                                       const std::vector<double>& param_values,
                                       const FormulaLibrary& library) {
  const std::unique_ptr<FormulaNode> tree = parse_formula(definition.formula);
  FormulaProgram program;
  program.learnable_count_ = definition.learnable.size();
  if (program.learnable_count_ > kMaxLearnableFormulaParams)
    throw FormulaError(
        "at most " + std::to_string(kMaxLearnableFormulaParams) + " learnable parameters", 0);
  program.registers_ = 1 + program.learnable_count_;
  FormulaCompiler compiler(library, program);
  FormulaCompiler::Scope scope;
  scope.definition = definition.name.empty() ? nullptr : &definition;
  scope.x = FormulaCompiler::Value{.reg = 0, .active = 1};
  for (std::size_t k = 0; k < definition.params.size(); ++k) {
    const std::string& name = definition.params[k].first;
    const auto learned = std::find(definition.learnable.begin(), definition.learnable.end(), name);
    if (learned != definition.learnable.end()) {
      const auto j = static_cast<std::size_t>(learned - definition.learnable.begin());
      scope.params[name] = FormulaCompiler::Value{.reg = static_cast<std::uint16_t>(1 + j),
                                                  .active = static_cast<std::uint8_t>(2u << j)};
    } else {
      scope.params[name] = FormulaCompiler::constant(param_values.at(k));
    }
  }
  const FormulaCompiler::Value result = compiler.compile_definition(*tree, scope);
  program.result_ = compiler.materialise(result);
  program.result_active_ = result.is_constant ? 0 : result.active;
  return program;
}

// ---------------------------------------------------------------------------------------------
// Running the program over blocks.

namespace {

// With one derivative direction, the chain rule joins the operation's own loop: d out = s_a d a
// (+ s_b d b), the slopes never stored.
template <typename T>
struct FusedChain {
  const T* da = nullptr;
  const T* db = nullptr;
  T* dout = nullptr;
};

template <class Rule, typename T>
[[gnu::flatten]] void unary_block(const T* __restrict a, T* __restrict y, T* __restrict s,
                                  std::size_t m, T k, const FusedChain<T>& chain) {
  if (chain.dout != nullptr) {
    const T* __restrict da = chain.da;
    T* __restrict dout = chain.dout;
#pragma omp simd
    for (std::size_t i = 0; i < m; ++i) {
      T slope;
      y[i] = Rule::apply(a[i], slope, k);
      dout[i] = slope * da[i];
    }
    return;
  }
  if (s == nullptr) {
#pragma omp simd
    for (std::size_t i = 0; i < m; ++i) {
      T slope;
      y[i] = Rule::apply(a[i], slope, k);
    }
    return;
  }
#pragma omp simd
  for (std::size_t i = 0; i < m; ++i)
    y[i] = Rule::apply(a[i], s[i], k);
}

template <class Rule, typename T>
[[gnu::flatten]] void binary_block(const T* __restrict a, const T* __restrict b, T* __restrict y,
                                   T* __restrict sa, T* __restrict sb, std::size_t m,
                                   const FusedChain<T>& chain) {
  if (chain.dout != nullptr) {
    const T* __restrict da = chain.da;
    const T* __restrict db = chain.db;
    T* __restrict dout = chain.dout;
#pragma omp simd
    for (std::size_t i = 0; i < m; ++i) {
      T ga, gb;
      y[i] = Rule::apply(a[i], b[i], ga, gb, T{0});
      dout[i] = ga * da[i] + gb * db[i];
    }
    return;
  }
  if (sa == nullptr) {
#pragma omp simd
    for (std::size_t i = 0; i < m; ++i) {
      T ga, gb;
      y[i] = Rule::apply(a[i], b[i], ga, gb, T{0});
    }
    return;
  }
#pragma omp simd
  for (std::size_t i = 0; i < m; ++i)
    y[i] = Rule::apply(a[i], b[i], sa[i], sb[i], T{0});
}

// 1 where `compare` holds, else 0; one loop per comparison, so that it vectorises.
template <typename T, typename Compare>
void compare_block(const T* __restrict a, const T* __restrict b, T* __restrict y, std::size_t m,
                   Compare compare) {
#pragma omp simd
  for (std::size_t i = 0; i < m; ++i)
    y[i] = compare(a[i], b[i]) ? T{1} : T{0};
}

template <typename T>
BlockRule<T> builtin_rule(std::size_t index);

double fold(const FormulaInstruction& in, double a, double b, double c) {
  double s = 0, t = 0;
  switch (in.op) {
    case FormulaOp::kConst:
      return in.constant;
    case FormulaOp::kAdd:
      return a + b;
    case FormulaOp::kSub:
      return a - b;
    case FormulaOp::kMul:
      return a * b;
    case FormulaOp::kDiv:
      return a / b;
    case FormulaOp::kNeg:
      return -a;
    case FormulaOp::kSquare:
      return a * a;
    case FormulaOp::kCube:
      return a * a * a;
    case FormulaOp::kPowConst:
      return std::pow(a, in.constant);
    case FormulaOp::kPow:
      return std::pow(a, b);
    case FormulaOp::kExp:
      return std::exp(a);
    case FormulaOp::kLog:
      return std::log(a);
    case FormulaOp::kLog1p:
      return std::log1p(a);
    case FormulaOp::kExpm1:
      return std::expm1(a);
    case FormulaOp::kSqrt:
      return std::sqrt(a);
    case FormulaOp::kAbs:
      return std::abs(a);
    case FormulaOp::kSign:
      return SignRule::apply(a, s, 0.0);
    case FormulaOp::kTanh:
      return std::tanh(a);
    case FormulaOp::kSigmoid:
      return SigmoidRule::apply(a, s, 0.0);
    case FormulaOp::kSoftplus:
      return SoftplusRule::apply(a, s, 0.0);
    case FormulaOp::kErf:
      return std::erf(a);
    case FormulaOp::kErfc:
      return std::erfc(a);
    case FormulaOp::kMin:
      return MinRule::apply(a, b, s, t, 0.0);
    case FormulaOp::kMax:
      return MaxRule::apply(a, b, s, t, 0.0);
    case FormulaOp::kWhere:
      return a != 0 ? b : c;
    case FormulaOp::kLess:
      return a < b;
    case FormulaOp::kLessEqual:
      return a <= b;
    case FormulaOp::kGreater:
      return a > b;
    case FormulaOp::kGreaterEqual:
      return a >= b;
    case FormulaOp::kEqual:
      return a == b;
    case FormulaOp::kNotEqual:
      return a != b;
    case FormulaOp::kActivation: {
      double y = 0;
      builtin_rule<double>(in.activation)(&a, &y, nullptr, 1, in.params);
      return y;
    }
  }
  return 0;
}

bool is_binary(FormulaOp op) {
  return op == FormulaOp::kMul || op == FormulaOp::kDiv || op == FormulaOp::kPow ||
         op == FormulaOp::kMin || op == FormulaOp::kMax;
}

// One operand whose derivative is its slope times the operand's derivative.
bool is_unary(FormulaOp op) {
  switch (op) {
    case FormulaOp::kSquare:
    case FormulaOp::kCube:
    case FormulaOp::kPowConst:
    case FormulaOp::kExp:
    case FormulaOp::kLog:
    case FormulaOp::kLog1p:
    case FormulaOp::kExpm1:
    case FormulaOp::kSqrt:
    case FormulaOp::kAbs:
    case FormulaOp::kTanh:
    case FormulaOp::kSigmoid:
    case FormulaOp::kSoftplus:
    case FormulaOp::kErf:
    case FormulaOp::kErfc:
    case FormulaOp::kActivation:
      return true;
    default:
      return false;
  }
}

template <typename T>
BlockRule<T> builtin_rule(std::size_t index) {
  if (index == kTanhOfSoftplus) return &builtin_block<TanhOfSoftplus, T>;
  if constexpr (std::is_same_v<T, float>)
    return builtins()[index].rule_float;
  else
    return builtins()[index].rule_double;
}

// Scratch per thread, reused across calls: registers × (value + one derivative per direction).
template <typename T>
std::vector<T>& scratch() {
  thread_local std::vector<T> buffer;
  return buffer;
}

}  // namespace

template <typename T>
void FormulaProgram::run(const T* x, std::span<const ParamInput<T>> params, T* y, T* dydx,
                         std::span<T* const> dydparam, std::size_t n) const {
  const std::size_t directions = 1 + learnable_count_;
  const bool derivatives = dydx != nullptr || !dydparam.empty();
  const std::size_t stride = 1 + directions;  // per register: value, then each direction
  constexpr std::size_t B = kFormulaBlock;
  std::vector<T>& buffer = scratch<T>();
  // Layout: registers, then ones, zeros, and three slope arrays.
  const std::size_t needed = (registers_ * stride + 5) * B;
  if (buffer.size() < needed) buffer.resize(needed);
  T* base = buffer.data();
  T* ones = base + registers_ * stride * B;
  T* zeros = ones + B;
  T* sa = zeros + B;
  T* sb = sa + B;
  std::fill(ones, ones + B, T{1});
  std::fill(zeros, zeros + B, T{0});
  for (const auto& [reg, value] : constants_)
    std::fill(base + reg * stride * B, base + reg * stride * B + B, static_cast<T>(value));
  for (std::size_t j = 0; j < learnable_count_; ++j)
    if (!params[j].per_element)
      std::fill(base + (1 + j) * stride * B, base + (1 + j) * stride * B + B, params[j].values[0]);

  for (std::size_t offset = 0; offset < n; offset += B) {
    const std::size_t m = std::min(B, n - offset);
    // The result's register is the output itself (and its derivatives the outputs' derivatives),
    // saving a copy; the register's earlier, dead values pass through the output on the way.
    const bool direct = result_ > learnable_count_ && !is_constant_register(result_);
    auto value = [&](std::uint16_t reg) -> T* {
      if (reg == 0) return const_cast<T*>(x + offset);
      if (reg <= learnable_count_ && params[reg - 1].per_element)
        return const_cast<T*>(params[reg - 1].values + offset);
      if (direct && reg == result_) return y + offset;
      return base + reg * stride * B;
    };
    // The derivative of register `reg` in direction d (its bit set in the operand's mask).
    auto tangent = [&](std::uint16_t reg, std::size_t d) -> T* {
      if (reg <= learnable_count_) return reg == d ? ones : zeros;  // x or a learnable parameter
      if (direct && reg == result_) {
        if (d == 0 && dydx != nullptr) return dydx + offset;
        if (d > 0 && d - 1 < dydparam.size()) return dydparam[d - 1] + offset;
      }
      return base + (reg * stride + 1 + d) * B;
    };
    for (const FormulaInstruction& in : code_) {
      const T* a = value(in.a);
      T* out = value(in.out);
      bool slopes = derivatives && in.active_out != 0;
      T* s = slopes ? sa : nullptr;
      // f(x) of the input itself, one direction: its derivative is the slope, written in place.
      bool slope_is_derivative = false;
      if (slopes && in.active_out == in.active_a && in.a <= learnable_count_ &&
          in.active_a == (1u << in.a) && is_unary(in.op)) {
        s = tangent(in.out, in.a);
        slope_is_derivative = true;
      }
      T* s2 = slopes ? sb : nullptr;
      const T k = static_cast<T>(in.constant);
      bool linear = false;  // add, sub, neg, where: derivatives combined without slopes
      FusedChain<T> chain;
      if (slopes && !slope_is_derivative && directions == 1 && in.op != FormulaOp::kActivation &&
          in.op != FormulaOp::kSign) {
        // where(c, a, b): the derivatives of a and b (c has none).
        const bool pick = in.op == FormulaOp::kWhere;
        const std::uint8_t first = pick ? in.active_b : in.active_a;
        const std::uint8_t second = pick ? in.active_c : in.active_b;
        chain.da = (first & 1u) ? tangent(pick ? in.b : in.a, 0) : zeros;
        chain.db = (second & 1u) ? tangent(pick ? in.c : in.b, 0) : zeros;
        chain.dout = tangent(in.out, 0);
      }
      switch (in.op) {
        case FormulaOp::kConst:
          break;
        case FormulaOp::kAdd: {
          const T* __restrict p = a;
          const T* __restrict q = value(in.b);
          if (chain.dout != nullptr) {
            const T* __restrict dp = chain.da;
            const T* __restrict dq = chain.db;
            T* __restrict dout = chain.dout;
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i) {
              out[i] = p[i] + q[i];
              dout[i] = dp[i] + dq[i];
            }
          } else {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              out[i] = p[i] + q[i];
          }
          linear = true;
          break;
        }
        case FormulaOp::kSub: {
          const T* __restrict p = a;
          const T* __restrict q = value(in.b);
          if (chain.dout != nullptr) {
            const T* __restrict dp = chain.da;
            const T* __restrict dq = chain.db;
            T* __restrict dout = chain.dout;
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i) {
              out[i] = p[i] - q[i];
              dout[i] = dp[i] - dq[i];
            }
          } else {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              out[i] = p[i] - q[i];
          }
          linear = true;
          break;
        }
        case FormulaOp::kNeg: {
          const T* __restrict p = a;
#pragma omp simd
          for (std::size_t i = 0; i < m; ++i)
            out[i] = -p[i];
          linear = true;
          break;
        }
        case FormulaOp::kWhere: {
          const T* __restrict cond = a;
          const T* __restrict p = value(in.b);
          const T* __restrict q = value(in.c);
          if (chain.dout != nullptr) {
            const T* __restrict dp = chain.da;
            const T* __restrict dq = chain.db;
            T* __restrict dout = chain.dout;
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i) {
              const bool pick = cond[i] != T{0};
              out[i] = pick ? p[i] : q[i];
              dout[i] = pick ? dp[i] : dq[i];
            }
          } else {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              out[i] = cond[i] != T{0} ? p[i] : q[i];
          }
          linear = true;
          break;
        }
        case FormulaOp::kMul:
          binary_block<MulRule>(a, value(in.b), out, s, s2, m, chain);
          break;
        case FormulaOp::kDiv:
          binary_block<DivRule>(a, value(in.b), out, s, s2, m, chain);
          break;
        case FormulaOp::kPow:
          binary_block<PowRule>(a, value(in.b), out, s, s2, m, chain);
          break;
        case FormulaOp::kMin:
          binary_block<MinRule>(a, value(in.b), out, s, s2, m, chain);
          break;
        case FormulaOp::kMax:
          binary_block<MaxRule>(a, value(in.b), out, s, s2, m, chain);
          break;
        case FormulaOp::kSquare:
          unary_block<SquareRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kCube:
          unary_block<CubeRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kPowConst:
          unary_block<PowConstRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kExp:
          unary_block<ExpRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kLog:
          unary_block<LogRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kLog1p:
          unary_block<Log1pRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kExpm1:
          unary_block<Expm1Rule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kSqrt:
          unary_block<SqrtRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kAbs:
          unary_block<AbsRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kSign:
          unary_block<SignRule>(a, out, static_cast<T*>(nullptr), m, k, FusedChain<T>{});
          break;
        case FormulaOp::kTanh:
          unary_block<TanhRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kSigmoid:
          unary_block<SigmoidRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kSoftplus:
          unary_block<SoftplusRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kErf:
          unary_block<ErfRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kErfc:
          unary_block<ErfcRule>(a, out, s, m, k, chain);
          break;
        case FormulaOp::kActivation: {
          ActivationParams<T> p{};
          for (std::size_t j = 0; j < p.size(); ++j)
            p[j] = static_cast<T>(in.params[j]);
          builtin_rule<T>(in.activation)(a, out, s, m, p);
          break;
        }
        case FormulaOp::kLess:
          compare_block(a, value(in.b), out, m, std::less<T>{});
          break;
        case FormulaOp::kLessEqual:
          compare_block(a, value(in.b), out, m, std::less_equal<T>{});
          break;
        case FormulaOp::kGreater:
          compare_block(a, value(in.b), out, m, std::greater<T>{});
          break;
        case FormulaOp::kGreaterEqual:
          compare_block(a, value(in.b), out, m, std::greater_equal<T>{});
          break;
        case FormulaOp::kEqual:
          compare_block(a, value(in.b), out, m, std::equal_to<T>{});
          break;
        case FormulaOp::kNotEqual:
          compare_block(a, value(in.b), out, m, std::not_equal_to<T>{});
          break;
      }
      const bool fused = chain.dout != nullptr && in.op != FormulaOp::kNeg &&
                         (is_unary(in.op) || is_binary(in.op) || linear);
      if (!slopes || slope_is_derivative || fused) continue;
      // The chain rule, per direction with a derivative: d out = s_a d a + s_b d b.
      for (std::size_t d = 0; d < directions; ++d) {
        const auto bit = static_cast<std::uint8_t>(1u << d);
        if (!(in.active_out & bit)) continue;
        T* __restrict dout = tangent(in.out, d);
        const T* __restrict da = (in.active_a & bit) ? tangent(in.a, d) : zeros;
        const T* __restrict db = (in.active_b & bit) ? tangent(in.b, d) : zeros;
        if (linear) {
          if (in.op == FormulaOp::kAdd) {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              dout[i] = da[i] + db[i];
          } else if (in.op == FormulaOp::kSub) {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              dout[i] = da[i] - db[i];
          } else if (in.op == FormulaOp::kNeg) {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              dout[i] = -da[i];
          } else {  // where: the selected side's derivative
            const T* __restrict cond = a;
            const T* __restrict dc = (in.active_c & bit) ? tangent(in.c, d) : zeros;
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              dout[i] = cond[i] != T{0} ? db[i] : dc[i];
          }
        } else if (in.active_b & bit) {
          if (in.active_a & bit) {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              dout[i] = sa[i] * da[i] + sb[i] * db[i];
          } else {
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
              dout[i] = sb[i] * db[i];
          }
        } else {
#pragma omp simd
          for (std::size_t i = 0; i < m; ++i)
            dout[i] = sa[i] * da[i];
        }
      }
    }
    if (!direct) std::copy(value(result_), value(result_) + m, y + offset);
    if (dydx != nullptr && !(direct && (result_active_ & 1u))) {
      const T* d = (result_active_ & 1u) ? tangent(result_, 0) : zeros;
      std::copy(d, d + m, dydx + offset);
    }
    for (std::size_t j = 0; j < dydparam.size(); ++j) {
      if (direct && (result_active_ & (2u << j))) continue;
      const T* d = (result_active_ & (2u << j)) ? tangent(result_, 1 + j) : zeros;
      std::copy(d, d + m, dydparam[j] + offset);
    }
  }
}

template void FormulaProgram::run<float>(const float*, std::span<const ParamInput<float>>, float*,
                                         float*, std::span<float* const>, std::size_t) const;
template void FormulaProgram::run<double>(const double*, std::span<const ParamInput<double>>,
                                          double*, double*, std::span<double* const>,
                                          std::size_t) const;

}  // namespace actlab
