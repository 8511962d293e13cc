#pragma once
// Every elementwise activation, each written once: registry name, formula, parameters with defaults
// and valid ranges, properties, f(x) and f'(x) (from x and/or y = f(x), whichever is stable and
// cheap). A learnable parameter also gives d f / d param.
//
// Adding an activation: write its struct here and add it to `ElementwiseActivations` at the bottom.
// A constraint between parameters that their ranges cannot state is a static
// `check_params(const ActivationParams<double>&)` that throws ConfigError.
// The generic layer (elementwise_activation.hpp) owns the loops; the registry, `actlab activations`
// and the generic tests (golden values, finite differences, extreme inputs) pick it up by
// themselves.
//
// Conventions: at a kink f' takes the value PyTorch's autograd uses (relu'(0) = 0, leaky_relu'(0) =
// alpha, elu'(0) = alpha, relu6'(6) = 0, hardswish'(3) = 3/2; each rule says which).
// Derivatives from y (sigmoid, tanh) cost no transcendental; where y rounds to ±1 they return
// exactly 0, which is within float32's resolution of the true slope (< 6e-8 there).
// `cheap_derivative = true`: f' is a few arithmetic operations on x or y, cheaper to recompute in
// backward from the kept x and y than to store in forward and read back (a training forward then
// writes y alone; elementwise_activation.hpp). Leave it out where f' calls a transcendental.
// Products with x are formed last (x · (small factor)), so that x near ±FLT_MAX meets a factor that
// is already 0 instead of an intermediate inf (no 0·inf).
// Rules are branch-free where they can be, so that the loops vectorise: both sides of a `?:` are
// computed and one is selected, so every transcendental is called unconditionally and on an
// argument that cannot overflow. std::exp, std::expm1, std::log1p and std::tanh become glibc's
// vector maths (libmvec) calls; GELU's Φ and φ come from normal_cdf_pdf. See vector_math.hpp.
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <string_view>

#include "actlab/core/error.hpp"
#include "actlab/core/vector_math.hpp"
#include "actlab/nn/activation.hpp"

namespace actlab::activations {

template <typename... A>
struct TypeList {};

// A function of x alone, no parameters.
using NoParams = std::array<ActivationParamSpec, 0>;

// Building blocks shared by several rules. All take e = exp(-|z|) (in (0, 1], never overflows) so
// that one exp serves the value and the slope.
namespace stable {

// σ(z) from e = exp(-|z|): picking the numerator by the sign keeps full relative precision for
// large negative z, where 1 - 1/(1+e) would round to 0 too early.
template <typename T>
T sigmoid(T z, T e) {
  const T r = T{1} / (T{1} + e);
  return z >= T{0} ? r : e * r;
}

// σ'(z) = σ(z)(1 - σ(z)) = e / (1 + e)²: exact in both tails, where y(1 - y) would lose the tail
// to rounding once σ(z) rounds to 1.
template <typename T>
T sigmoid_slope(T e) {
  const T r = T{1} / (T{1} + e);
  return e * r * r;
}

// log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): never overflows, exact for large |z|.
template <typename T>
T softplus(T z, T e) {
  return (z > T{0} ? z : T{0}) + std::log1p(e);
}

template <typename T>
T clamp(T x, T lo, T hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

}  // namespace stable

struct Identity {
  static constexpr std::string_view name = "identity";
  static constexpr std::string_view formula = "x";
  static constexpr std::string_view derivative = "1";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{
      .output_range = "(-inf, inf)", .monotonic = true, .smooth = true, .zero_centred = true};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return x;
  }
  template <typename T>
  static T df(T, T, const ActivationParams<T>&) {
    return T{1};
  }
};

struct Sigmoid {
  static constexpr std::string_view name = "sigmoid";
  static constexpr std::string_view formula = "σ(x) = 1 / (1 + exp(-x))";
  static constexpr std::string_view derivative = "y (1 - y)";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "(0, 1)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = false,
                                                   .saturates = Saturation::kBoth};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return stable::sigmoid(x, std::exp(-std::abs(x)));
  }
  template <typename T>
  static T df(T, T y, const ActivationParams<T>&) {
    return y * (T{1} - y);
  }
};

struct Tanh {
  static constexpr std::string_view name = "tanh";
  static constexpr std::string_view formula = "tanh(x)";
  static constexpr std::string_view derivative = "1 - y²";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "(-1, 1)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kBoth};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return std::tanh(x);
  }
  template <typename T>
  static T df(T, T y, const ActivationParams<T>&) {
    return T{1} - y * y;
  }
};

struct Relu {
  static constexpr std::string_view name = "relu";
  static constexpr std::string_view formula = "max(0, x)";
  static constexpr std::string_view derivative = "1 if x > 0 else 0";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[0, inf)",
                                                   .monotonic = true,
                                                   .smooth = false,
                                                   .zero_centred = false,
                                                   .saturates = Saturation::kNegative,
                                                   .dead_zone = "x <= 0"};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return x > T{0} ? x : T{0};
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    return x > T{0} ? T{1} : T{0};
  }
};

struct LeakyRelu {
  static constexpr std::string_view name = "leaky_relu";
  static constexpr std::string_view formula = "x if x > 0 else alpha x";
  static constexpr std::string_view derivative = "1 if x > 0 else alpha";
  static constexpr bool cheap_derivative = true;
  static constexpr std::array<ActivationParamSpec, 1> params{
      {{.name = "alpha", .default_value = 0.01, .min = 0, .max = 1, .meaning = "negative slope"}}};
  static constexpr ActivationProperties properties{
      .output_range = "(-inf, inf)", .monotonic = true, .smooth = false, .zero_centred = true};
  // At 0 the slope is alpha, as PyTorch's leaky_relu_backward (x > 0 ? 1 : alpha).
  template <typename T>
  static T f(T x, const ActivationParams<T>& p) {
    return x > T{0} ? x : p[0] * x;
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>& p) {
    return x > T{0} ? T{1} : p[0];
  }
};

struct Prelu {
  static constexpr std::string_view name = "prelu";
  static constexpr std::string_view formula = "x if x > 0 else alpha x  (alpha learned)";
  static constexpr std::string_view derivative =
      "1 if x > 0 else alpha;  d/dalpha = 0 if x > 0 else x";
  static constexpr std::array<ActivationParamSpec, 2> params{{
      {.name = "alpha",
       .default_value = 0.25,
       .min = 0,
       .max = 1,
       .meaning = "initial negative slope"},
      {.name = "per_unit",
       .default_value = 0,
       .min = 0,
       .max = 1,
       .kind = ParamKind::kBool,
       .meaning = "one slope per unit instead of one shared slope"},
  }};
  static constexpr LearnableParam learnable{.param = 0, .enabled_by = -1, .per_unit_flag = 1};
  // Monotonic while the learned slope stays >= 0.
  static constexpr ActivationProperties properties{
      .output_range = "(-inf, inf)", .monotonic = true, .smooth = false, .zero_centred = true};
  template <typename T>
  static T f(T x, const ActivationParams<T>& p) {
    return x > T{0} ? x : p[0] * x;
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>& p) {
    return x > T{0} ? T{1} : p[0];
  }
  template <typename T>
  static T dparam(T x, T, const ActivationParams<T>&) {
    return x > T{0} ? T{0} : x;
  }
};

struct Elu {
  static constexpr std::string_view name = "elu";
  static constexpr std::string_view formula = "x if x > 0 else alpha (exp(x) - 1)";
  static constexpr std::string_view derivative = "1 if x > 0 else alpha exp(x)";
  static constexpr std::array<ActivationParamSpec, 1> params{
      {{.name = "alpha",
        .default_value = 1.0,
        .min = 0,
        .meaning = "value approached as x -> -inf is -alpha"}}};
  // Continuously differentiable only for alpha = 1.
  static constexpr ActivationProperties properties{.output_range = "(-alpha, inf)",
                                                   .monotonic = true,
                                                   .smooth = false,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  // expm1 keeps the precision of exp(x) - 1 near 0. alpha exp(x) rather than y + alpha: the latter
  // cancels to exactly 0 in float32 below x ≈ -17 and would invent a dead zone. At 0 the slope is
  // alpha (PyTorch's elu_backward takes x <= 0 as the negative side). min(x, 0) keeps exp finite on
  // the side that is not selected.
  template <typename T>
  static T f(T x, const ActivationParams<T>& p) {
    return x > T{0} ? x : p[0] * std::expm1(x < T{0} ? x : T{0});
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>& p) {
    return x > T{0} ? T{1} : p[0] * std::exp(x < T{0} ? x : T{0});
  }
};

// Klambauer et al. 2017; constants as in PyTorch.
struct Selu {
  static constexpr double kScale = 1.0507009873554804934193349852946;
  static constexpr double kAlpha = 1.6732632423543772848170429916717;
  static constexpr std::string_view name = "selu";
  static constexpr std::string_view formula =
      "λ (x if x > 0 else α (exp(x) - 1)), λ ≈ 1.0507, α ≈ 1.6733";
  static constexpr std::string_view derivative = "λ if x > 0 else λ α exp(x)";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "(-1.7581, inf)",
                                                   .monotonic = true,
                                                   .smooth = false,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    const T neg = static_cast<T>(kScale * kAlpha) * std::expm1(x < T{0} ? x : T{0});
    return x > T{0} ? static_cast<T>(kScale) * x : neg;
  }
  // At 0 the negative side's λα, as PyTorch.
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const T neg = static_cast<T>(kScale * kAlpha) * std::exp(x < T{0} ? x : T{0});
    return x > T{0} ? static_cast<T>(kScale) : neg;
  }
};

struct Celu {
  static constexpr std::string_view name = "celu";
  static constexpr std::string_view formula = "max(0, x) + min(0, alpha (exp(x / alpha) - 1))";
  static constexpr std::string_view derivative = "1 if x > 0 else exp(x / alpha)";
  static constexpr std::array<ActivationParamSpec, 1> params{
      {{.name = "alpha",
        .default_value = 1.0,
        .min = 0,
        .min_open = true,
        .meaning = "value approached as x -> -inf is -alpha"}}};
  static constexpr ActivationProperties properties{.output_range = "(-alpha, inf)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  template <typename T>
  static T f(T x, const ActivationParams<T>& p) {
    return x > T{0} ? x : p[0] * std::expm1((x < T{0} ? x : T{0}) / p[0]);
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>& p) {
    return x > T{0} ? T{1} : std::exp((x < T{0} ? x : T{0}) / p[0]);
  }
};

// Hendrycks & Gimpel 2016, the exact form. Φ(x) = erfc(-x/√2)/2 rather than (1 + erf(x/√2))/2:
// for negative x the latter subtracts two numbers close to 1 and loses every digit of the tail.
struct Gelu {
  static constexpr std::string_view name = "gelu";
  static constexpr std::string_view formula = "x Φ(x) = x/2 (1 + erf(x / √2))";
  static constexpr std::string_view derivative = "Φ(x) + x φ(x),  φ(x) = exp(-x²/2) / √(2π)";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[-0.1700, inf)",
                                                   .monotonic = false,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  // Φ and φ come from one exponential in float (normal_cdf_pdf); in f_and_derivative the compiler
  // evaluates it once for f and f'.
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return x * normal_cdf_pdf(x).cdf;
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const NormalCdfPdf<T> normal = normal_cdf_pdf(x);
    return normal.cdf + x * normal.pdf;
  }
};

// The tanh approximation. (1 + tanh(u))/2 = σ(2u), computed as a stable sigmoid, so the negative
// tail keeps its digits. Beyond |x| = 100, σ(2u) is exactly 0 or 1 in float64, so clamping x there
// changes nothing but keeps x³ (and x² in f') finite for every float input.
struct GeluTanh {
  static constexpr double kCubic = 0.044715;
  static constexpr double kScale = 0.79788456080286535588;  // √(2/π)
  static constexpr std::string_view name = "gelu_tanh";
  static constexpr std::string_view formula = "x/2 (1 + tanh(u)),  u = √(2/π) (x + 0.044715 x³)";
  static constexpr std::string_view derivative =
      "s + 2 x s (1 - s) √(2/π) (1 + 3·0.044715 x²),  s = σ(2u)";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[-0.1700, inf)",
                                                   .monotonic = false,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  template <typename T>
  static T two_u(T xc) {
    return static_cast<T>(2 * kScale) * (xc + static_cast<T>(kCubic) * xc * xc * xc);
  }
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    const T z = two_u(stable::clamp(x, T{-100}, T{100}));
    return x * stable::sigmoid(z, std::exp(-std::abs(z)));
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const T xc = stable::clamp(x, T{-100}, T{100});
    const T z = two_u(xc);
    const T e = std::exp(-std::abs(z));
    const T dz = static_cast<T>(2 * kScale) * (T{1} + static_cast<T>(3 * kCubic) * xc * xc);
    return stable::sigmoid(z, e) + xc * stable::sigmoid_slope(e) * dz;
  }
};

// The sigmoid approximation x σ(1.702 x) (Hendrycks & Gimpel 2016, section 2).
struct GeluSigmoid {
  static constexpr double kScale = 1.702;
  static constexpr std::string_view name = "gelu_sigmoid";
  static constexpr std::string_view formula = "x σ(1.702 x)";
  static constexpr std::string_view derivative = "s + 1.702 x s (1 - s),  s = σ(1.702 x)";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[-0.1636, inf)",
                                                   .monotonic = false,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    const T z = static_cast<T>(kScale) * x;
    return x * stable::sigmoid(z, std::exp(-std::abs(z)));
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const T z = static_cast<T>(kScale) * x;
    const T e = std::exp(-std::abs(z));
    return stable::sigmoid(z, e) + x * (static_cast<T>(kScale) * stable::sigmoid_slope(e));
  }
};

struct Silu {
  static constexpr std::string_view name = "silu";
  static constexpr std::string_view formula = "x σ(x)";
  static constexpr std::string_view derivative = "s + x s (1 - s),  s = σ(x)";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[-0.2785, inf)",
                                                   .monotonic = false,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return x * stable::sigmoid(x, std::exp(-std::abs(x)));
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const T e = std::exp(-std::abs(x));
    return stable::sigmoid(x, e) + x * stable::sigmoid_slope(e);
  }
};

// Ramachandran et al. 2017. With `learnable`, beta is trained (one per network layer, or per unit).
struct Swish {
  static constexpr std::string_view name = "swish";
  static constexpr std::string_view formula = "x σ(beta x)";
  static constexpr std::string_view derivative =
      "s + beta x s (1 - s),  s = σ(beta x);  d/dbeta = x² s (1 - s)";
  static constexpr std::array<ActivationParamSpec, 3> params{{
      {.name = "beta",
       .default_value = 1.0,
       .min = 0,
       .meaning = "slope of the gate (initial value if learnable)"},
      {.name = "learnable",
       .default_value = 0,
       .min = 0,
       .max = 1,
       .kind = ParamKind::kBool,
       .meaning = "train beta with the weights"},
      {.name = "per_unit",
       .default_value = 0,
       .min = 0,
       .max = 1,
       .kind = ParamKind::kBool,
       .meaning = "one beta per unit (when learnable)"},
  }};
  static constexpr LearnableParam learnable{.param = 0, .enabled_by = 1, .per_unit_flag = 2};
  static constexpr ActivationProperties properties{.output_range = "[-0.2785/beta, inf)",
                                                   .monotonic = false,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  template <typename T>
  static T f(T x, const ActivationParams<T>& p) {
    const T z = p[0] * x;
    return x * stable::sigmoid(z, std::exp(-std::abs(z)));
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>& p) {
    const T z = p[0] * x;
    const T e = std::exp(-std::abs(z));
    return stable::sigmoid(z, e) + x * (p[0] * stable::sigmoid_slope(e));
  }
  // x² s(1 - s) as (x s(1 - s)) x: s(1 - s) reaches 0 before x² reaches inf, so never 0·inf.
  template <typename T>
  static T dparam(T x, T, const ActivationParams<T>& p) {
    const T e = std::exp(-std::abs(p[0] * x));
    return x * stable::sigmoid_slope(e) * x;
  }
};

// Howard et al. 2019 (MobileNetV3).
struct Hardswish {
  static constexpr std::string_view name = "hardswish";
  static constexpr std::string_view formula = "x min(max(x + 3, 0), 6) / 6";
  static constexpr std::string_view derivative = "0 if x < -3, x/3 + 1/2 if x <= 3, else 1";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[-0.375, inf)",
                                                   .monotonic = false,
                                                   .smooth = false,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative,
                                                   .dead_zone = "x < -3"};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return x * (stable::clamp(x + T{3}, T{0}, T{6}) / T{6});
  }
  // PyTorch's hardswish_backward: the middle piece includes both ends, so f'(-3) = -1/2, f'(3) =
  // 3/2.
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const T middle = x / T{3} + T{0.5};
    return x < T{-3} ? T{0} : (x <= T{3} ? middle : T{1});
  }
};

struct Hardsigmoid {
  static constexpr std::string_view name = "hardsigmoid";
  static constexpr std::string_view formula = "min(max(x + 3, 0), 6) / 6";
  static constexpr std::string_view derivative = "1/6 if -3 < x < 3 else 0";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[0, 1]",
                                                   .monotonic = true,
                                                   .smooth = false,
                                                   .zero_centred = false,
                                                   .saturates = Saturation::kBoth,
                                                   .dead_zone = "x <= -3 or x >= 3"};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return stable::clamp(x + T{3}, T{0}, T{6}) / T{6};
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    return (x > T{-3} && x < T{3}) ? T{1} / T{6} : T{0};
  }
};

struct Relu6 {
  static constexpr std::string_view name = "relu6";
  static constexpr std::string_view formula = "min(max(x, 0), 6)";
  static constexpr std::string_view derivative = "1 if 0 < x < 6 else 0";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[0, 6]",
                                                   .monotonic = true,
                                                   .smooth = false,
                                                   .zero_centred = false,
                                                   .saturates = Saturation::kBoth,
                                                   .dead_zone = "x <= 0 or x >= 6"};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return stable::clamp(x, T{0}, T{6});
  }
  // Both kinks take 0, as PyTorch's hardtanh_backward (relu6 is hardtanh(0, 6) there).
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    return (x > T{0} && x < T{6}) ? T{1} : T{0};
  }
};

// PyTorch's nn.Hardtanh, with its parameter names and defaults.
struct Hardtanh {
  static constexpr std::string_view name = "hardtanh";
  static constexpr std::string_view formula = "min(max(x, min_val), max_val)";
  static constexpr std::string_view derivative = "1 if min_val < x < max_val else 0";
  static constexpr bool cheap_derivative = true;
  static constexpr std::array<ActivationParamSpec, 2> params{{
      {.name = "min_val", .default_value = -1.0, .meaning = "lower end of the linear region"},
      {.name = "max_val", .default_value = 1.0, .meaning = "upper end of the linear region"},
  }};
  static constexpr ActivationProperties properties{.output_range = "[min_val, max_val]",
                                                   .monotonic = true,
                                                   .smooth = false,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kBoth,
                                                   .dead_zone = "x <= min_val or x >= max_val"};
  // An empty or reversed linear region is no hardtanh (PyTorch asserts max_val > min_val).
  static void check_params(const ActivationParams<double>& p) {
    if (!(p[0] < p[1]))
      throw ConfigError("activation 'hardtanh' needs min_val < max_val, got min_val = " +
                        std::to_string(p[0]) + ", max_val = " + std::to_string(p[1]));
  }
  template <typename T>
  static T f(T x, const ActivationParams<T>& p) {
    return stable::clamp(x, p[0], p[1]);
  }
  // Both kinks take 0, as PyTorch's hardtanh_backward.
  template <typename T>
  static T df(T x, T, const ActivationParams<T>& p) {
    return (x > p[0] && x < p[1]) ? T{1} : T{0};
  }
};

// Misra 2019. With w = exp(x), tanh(log(1 + w)) = (w² + 2w) / (w² + 2w + 2); written with
// e = exp(-|x|) on each side it needs one exp, no tanh or log, and cannot overflow:
//   x >= 0:  t = (1 + 2e) / (1 + 2e + 2e²)      x < 0:  t = e(e + 2) / (e(e + 2) + 2).
// The derivative t + x sech²(softplus x) σ(x) uses 1 - t² = (D - N)(D + N) / D² from the same
// numerator N and denominator D, exact where t rounds to 1 (no cancellation).
struct Mish {
  static constexpr std::string_view name = "mish";
  static constexpr std::string_view formula = "x tanh(softplus(x))";
  static constexpr std::string_view derivative = "t + x (1 - t²) σ(x),  t = tanh(softplus(x))";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "[-0.3088, inf)",
                                                   .monotonic = false,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kNegative};
  template <typename T>
  static T numerator(T x, T e) {
    return x >= T{0} ? T{1} + T{2} * e : e * (e + T{2});
  }
  template <typename T>
  static T denominator(T x, T e) {
    return x >= T{0} ? T{1} + T{2} * e + T{2} * e * e : e * (e + T{2}) + T{2};
  }
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    const T e = std::exp(-std::abs(x));
    return x * (numerator(x, e) / denominator(x, e));
  }
  // x sech² σ = 4 x e (1 + e) m / D² with m = e for x >= 0 and 1 for x < 0.
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const T e = std::exp(-std::abs(x));
    const T d = denominator(x, e);
    const T m = x >= T{0} ? e : T{1};
    return numerator(x, e) / d + x * (T{4} * e * (T{1} + e) * m / (d * d));
  }
};

struct Softplus {
  static constexpr std::string_view name = "softplus";
  static constexpr std::string_view formula =
      "log(1 + exp(beta x)) / beta;  x where beta x > threshold";
  static constexpr std::string_view derivative = "σ(beta x);  1 where beta x > threshold";
  static constexpr std::array<ActivationParamSpec, 2> params{{
      {.name = "beta", .default_value = 1.0, .min = 0, .min_open = true, .meaning = "sharpness"},
      {.name = "threshold",
       .default_value = 20.0,
       .min = 0,
       .min_open = true,
       .meaning = "beyond beta x > threshold, f(x) = x (as PyTorch)"},
  }};
  static constexpr ActivationProperties properties{.output_range = "(0, inf)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = false,
                                                   .saturates = Saturation::kNegative};
  // The threshold reproduces PyTorch's values; the stable form below it never overflows, so a large
  // threshold is safe too.
  template <typename T>
  static T f(T x, const ActivationParams<T>& p) {
    const T z = p[0] * x;
    const T soft = stable::softplus(z, std::exp(-std::abs(z))) / p[0];
    return z > p[1] ? x : soft;
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>& p) {
    const T z = p[0] * x;
    const T s = stable::sigmoid(z, std::exp(-std::abs(z)));
    return z > p[1] ? T{1} : s;
  }
};

struct Softsign {
  static constexpr std::string_view name = "softsign";
  static constexpr std::string_view formula = "x / (1 + |x|)";
  static constexpr std::string_view derivative = "1 / (1 + |x|)²";
  static constexpr bool cheap_derivative = true;
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "(-1, 1)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = true,
                                                   .saturates = Saturation::kBoth};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return x / (T{1} + std::abs(x));
  }
  // (1/(1+|x|))² rather than 1/(1+|x|)²: the square of a huge |x| would overflow to inf first.
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    const T r = T{1} / (T{1} + std::abs(x));
    return r * r;
  }
};

struct Logsigmoid {
  static constexpr std::string_view name = "logsigmoid";
  static constexpr std::string_view formula = "log σ(x) = -softplus(-x)";
  static constexpr std::string_view derivative = "1 - σ(x) = σ(-x)";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "(-inf, 0)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = false,
                                                   .saturates = Saturation::kPositive};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    const T e = std::exp(-std::abs(x));
    return (x < T{0} ? x : T{0}) - std::log1p(e);
  }
  template <typename T>
  static T df(T x, T, const ActivationParams<T>&) {
    return stable::sigmoid(-x, std::exp(-std::abs(x)));
  }
};

// The list of all elementwise activations, in the order `actlab activations` shows them (the
// layer-shaped ones, rrelu, glu, swiglu, geglu and gumbel_softmax, follow; see
// activation_registry.cpp).
using ElementwiseActivations =
    TypeList<Identity, Sigmoid, Tanh, Relu, LeakyRelu, Prelu, Elu, Selu, Celu, Gelu, GeluTanh,
             GeluSigmoid, Silu, Swish, Hardswish, Hardsigmoid, Relu6, Hardtanh, Mish, Softplus,
             Softsign, Logsigmoid>;

}  // namespace actlab::activations
