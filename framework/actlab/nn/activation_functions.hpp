#pragma once
// Every elementwise activation, each written once: registry name, formula, parameters with defaults
// and valid ranges, properties, f(x) and f'(x) (from x and/or y = f(x), whichever is stable and
// cheap). A learnable parameter also gives d f / d param.
//
// Adding an activation: write its struct here and add it to `ElementwiseActivations` at the bottom.
// The generic layer (elementwise_activation.hpp) owns the loops; the registry, `actlab activations`
// and the generic tests (golden values, finite differences, extreme inputs) pick it up by themselves.
//
// Conventions: at a kink f' takes the value PyTorch's autograd uses (e.g. relu'(0) = 0).
// Rules are branch-free where they can be, so that the loops vectorise; std::exp, std::tanh and
// std::erf become glibc's vector maths (libmvec) calls, see vector_math.hpp.
#include <array>
#include <cmath>
#include <string_view>

#include "actlab/core/vector_math.hpp"
#include "actlab/nn/activation.hpp"

namespace actlab::activations {

template <typename... A>
struct TypeList {};

// A function of x alone, no parameters.
using NoParams = std::array<ActivationParamSpec, 0>;

struct Identity {
  static constexpr std::string_view name = "identity";
  static constexpr std::string_view formula = "x";
  static constexpr std::string_view derivative = "1";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "(-inf, inf)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = true};
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    return x;
  }
  template <typename T>
  static T df(T, T, const ActivationParams<T>&) {
    return T{1};
  }
};

struct Relu {
  static constexpr std::string_view name = "relu";
  static constexpr std::string_view formula = "max(0, x)";
  static constexpr std::string_view derivative = "1 if x > 0 else 0";
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

struct Sigmoid {
  static constexpr std::string_view name = "sigmoid";
  static constexpr std::string_view formula = "1 / (1 + exp(-x))";
  static constexpr std::string_view derivative = "y (1 - y)";
  static constexpr NoParams params{};
  static constexpr ActivationProperties properties{.output_range = "(0, 1)",
                                                   .monotonic = true,
                                                   .smooth = true,
                                                   .zero_centred = false,
                                                   .saturates = Saturation::kBoth};
  // exp(-|x|) never overflows; picking the numerator by the sign keeps full relative precision
  // for large negative x, where 1 - 1/(1+e) would round to 0 too early.
  template <typename T>
  static T f(T x, const ActivationParams<T>&) {
    const T e = std::exp(-std::abs(x));
    const T r = T{1} / (T{1} + e);
    return x >= T{0} ? r : e * r;
  }
  template <typename T>
  static T df(T, T y, const ActivationParams<T>&) {
    return y * (T{1} - y);
  }
};

struct Tanh {
  static constexpr std::string_view name = "tanh";
  static constexpr std::string_view formula = "tanh(x)";
  static constexpr std::string_view derivative = "1 - y^2";
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

// The list of all elementwise activations, in the order `actlab activations` shows them.
using ElementwiseActivations = TypeList<Identity, Sigmoid, Tanh, Relu>;

}  // namespace actlab::activations
