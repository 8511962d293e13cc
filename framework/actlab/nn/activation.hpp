#pragma once
// The activation registry: every activation a config can name, with its parameters, formula and the
// properties the probes and `actlab activations` report. Entries are generated from the list in
// activation_functions.hpp (elementwise activations) and from the few layer-shaped ones (gated,
// sampled) that register themselves in activation_registry.cpp.
#include <array>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actlab/nn/layer.hpp"

namespace actlab {

inline constexpr std::size_t kMaxActivationParams = 4;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Parameter values as the element rules see them (names and order from the activation's params).
template <typename T>
using ActivationParams = std::array<T, kMaxActivationParams>;

enum class ParamKind { kReal, kBool };

struct ActivationParamSpec {
  std::string_view name;
  double default_value = 0;
  double min = -kInf;  // valid range, inclusive unless the *_open flag is set
  double max = kInf;
  bool min_open = false;
  bool max_open = false;
  ParamKind kind = ParamKind::kReal;
  std::string_view meaning = "";
};

enum class Saturation { kNone, kNegative, kPositive, kBoth };

struct ActivationProperties {
  std::string_view output_range;  // e.g. "(0, 1)"
  bool monotonic = true;
  bool smooth = true;         // continuously differentiable everywhere
  bool zero_centred = false;  // f(0) = 0 with outputs of both signs
  Saturation saturates = Saturation::kNone;
  std::string_view dead_zone = "";  // where f'(x) is exactly 0, e.g. "x <= 0"; empty if nowhere
};

// A learnable parameter: which of the params it is, and which bool params switch it on / make it
// per-unit (-1: always learnable / always shared).
struct LearnableParam {
  int param = -1;
  int enabled_by = -1;
  int per_unit_flag = -1;
};

struct FormulaSource;  // formula/formula_activation.hpp

// An activation with its parameter values resolved and validated.
struct ActivationConfig {
  ActivationConfig() = default;
  ActivationConfig(std::string name_, std::vector<std::pair<std::string, double>> params_ = {},
                   std::shared_ptr<const FormulaSource> formula_ = nullptr)
      : name(std::move(name_)), params(std::move(params_)), formula(std::move(formula_)) {}

  std::string name = "relu";
  std::vector<std::pair<std::string, double>> params;  // only those given explicitly
  // Set for an activation defined by a formula (the config's `activations:` section, or inline):
  // its definition, with the definitions it may call. `name` is then the definition's name.
  std::shared_ptr<const FormulaSource> formula;

  bool operator==(const ActivationConfig& other) const;
};

struct ActivationInfo {
  std::string_view name;
  std::string_view formula;
  std::string_view derivative;
  std::vector<ActivationParamSpec> params;
  ActivationProperties properties;
  // Which parameter, if any, is learned (param = -1: none); a learned parameter appears in the
  // network's named parameters under its own name ("alpha", "beta").
  LearnableParam learnable;
  // Input units per output unit: 2 for the gated family (the Linear before it produces 2h units).
  std::size_t width_multiplier = 1;
  // Constraints between parameters that per-parameter ranges cannot state (rrelu: lower <= upper);
  // throws ConfigError. Empty when there are none.
  std::function<void(const ActivationParams<double>&)> check_params;
  // Builds the layer for `width` input units with the given (complete, validated) parameters.
  std::function<std::unique_ptr<Layer<float>>(std::size_t, const ActivationParams<double>&)>
      make_float;
  std::function<std::unique_ptr<Layer<double>>(std::size_t, const ActivationParams<double>&)>
      make_double;
  // Output unit i depends on input unit i alone (false for the gated family and gumbel_softmax).
  bool elementwise = true;
  // Meant for the output side of a network (after the last Linear), not between hidden layers.
  bool output_side = false;
};

// All registered activations, in the order shown to users.
const std::vector<ActivationInfo>& activation_registry();
// Adds an activation defined outside the framework (a user's own C++, see tests/consumer) under
// its own name, usable in configs like the built-ins. Throws ConfigError on a name already taken.
// Not thread-safe: register before loading configs or starting runs.
void register_activation(ActivationInfo info);
// The registry entry of an activation layer (or the entry a formula layer carries); null for a
// layer that is no activation.
const ActivationInfo* layer_activation_info(const Layer<float>& layer);
std::vector<std::string> activation_names();
// Throws ConfigError listing the valid names (and the nearest) when unknown.
const ActivationInfo& find_activation(std::string_view name);
// The registry entry of `config`'s activation; for a formula, a generic elementwise entry (width
// multiplier 1, not output-side).
const ActivationInfo& activation_entry(const ActivationConfig& config);
// "[0, 1]", "(0, inf)": the valid range of a parameter as messages and tables show it.
std::string format_range(const ActivationParamSpec& spec);
// Defaults overlaid with config values; throws ConfigError on an unknown parameter or one out of
// range, naming the activation and parameter.
ActivationParams<double> resolve_activation_params(const ActivationInfo& info,
                                                   const ActivationConfig& config);

template <typename T>
std::unique_ptr<Layer<T>> make_activation_layer(const ActivationConfig& config, std::size_t width);

}  // namespace actlab
