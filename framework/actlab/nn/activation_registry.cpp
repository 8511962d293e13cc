#include <algorithm>
#include <cmath>
#include <sstream>

#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/activation_functions.hpp"
#include "actlab/nn/elementwise_activation.hpp"
#include "actlab/nn/formula/formula_activation.hpp"
#include "actlab/nn/gated_activation.hpp"
#include "actlab/nn/gumbel_softmax.hpp"
#include "actlab/nn/rrelu.hpp"

namespace actlab {
namespace {

template <typename... A>
void add_elementwise(std::vector<ActivationInfo>& out, activations::TypeList<A...>) {
  (out.push_back(elementwise_activation_info<A>()), ...);
}

// The elementwise activations, then the layer-shaped ones, each defined in its own file pair.
std::vector<ActivationInfo> build_registry() {
  std::vector<ActivationInfo> registry;
  add_elementwise(registry, activations::ElementwiseActivations{});
  registry.push_back(rrelu_info());
  for (auto& info : gated_activation_infos())
    registry.push_back(std::move(info));
  registry.push_back(gumbel_softmax_info());
  return registry;
}

}  // namespace

// An infinite end is always open: "[0, inf)".
std::string format_range(const ActivationParamSpec& spec) {
  auto number = [](double v) {
    if (std::isinf(v)) return std::string(v > 0 ? "inf" : "-inf");
    std::ostringstream out;
    out << v;
    return out.str();
  };
  const bool open_min = spec.min_open || std::isinf(spec.min);
  const bool open_max = spec.max_open || std::isinf(spec.max);
  std::string range(open_min ? "(" : "[");
  range += number(spec.min);
  range += ", ";
  range += number(spec.max);
  range += open_max ? ")" : "]";
  return range;
}

namespace {
std::vector<ActivationInfo>& mutable_registry() {
  static std::vector<ActivationInfo> registry = build_registry();
  return registry;
}
}  // namespace

const std::vector<ActivationInfo>& activation_registry() {
  return mutable_registry();
}

void register_activation(ActivationInfo info) {
  for (const auto& existing : activation_registry())
    if (existing.name == info.name)
      throw ConfigError("an activation named '" + std::string(info.name) +
                        "' is already registered");
  if (!info.make_float || !info.make_double)
    throw ConfigError("activation '" + std::string(info.name) + "' registers no layer factory");
  mutable_registry().push_back(std::move(info));
}

const ActivationInfo* layer_activation_info(const Layer<float>& layer) {
  if (const auto* described = dynamic_cast<const DescribedActivation*>(&layer))
    return &described->activation_info();
  const std::string kind = layer.kind();
  for (const auto& info : activation_registry())
    if (info.name == kind) return &info;
  return nullptr;
}

const ActivationInfo& activation_entry(const ActivationConfig& config) {
  if (!config.formula) return find_activation(config.name);
  static const ActivationInfo formula_entry = [] {
    ActivationInfo info;
    info.name = "formula";
    return info;
  }();
  return formula_entry;
}

bool ActivationConfig::operator==(const ActivationConfig& other) const {
  if (name != other.name || params != other.params) return false;
  if (!formula || !other.formula) return !formula && !other.formula;
  return *formula == *other.formula;
}

std::vector<std::string> activation_names() {
  std::vector<std::string> names;
  for (const auto& info : activation_registry())
    names.emplace_back(info.name);
  return names;
}

const ActivationInfo& find_activation(std::string_view name) {
  for (const auto& info : activation_registry())
    if (info.name == name) return info;
  if (name == "softmax")
    throw ConfigError(
        "'softmax' is not a hidden activation: it is fused into the loss "
        "(softmax cross-entropy on the logits); valid activations: " +
        join(activation_names(), ", "));
  throw ConfigError(unknown_name_message("activation", name, activation_names()));
}

ActivationParams<double> resolve_activation_params(const ActivationInfo& info,
                                                   const ActivationConfig& config) {
  ActivationParams<double> values{};
  for (std::size_t k = 0; k < info.params.size(); ++k)
    values[k] = info.params[k].default_value;
  for (const auto& [key, value] : config.params) {
    const std::string& name = key;  // C++20 lambdas cannot capture structured bindings (clang)
    auto it = std::find_if(info.params.begin(), info.params.end(),
                           [&](const ActivationParamSpec& p) { return p.name == name; });
    if (it == info.params.end()) {
      std::vector<std::string> names;
      for (const auto& p : info.params)
        names.emplace_back(p.name);
      if (names.empty())
        throw ConfigError("activation '" + std::string(info.name) + "' takes no parameters, got '" +
                          key + "'");
      std::string message =
          "activation '" + std::string(info.name) + "' has no parameter '" + key + "'";
      if (auto suggestion = nearest_name(key, names))
        message += " (did you mean '" + *suggestion + "'?)";
      throw ConfigError(message + "; valid: " + join(names, ", "));
    }
    const ActivationParamSpec& spec = *it;
    const bool below = spec.min_open ? value <= spec.min : value < spec.min;
    const bool above = spec.max_open ? value >= spec.max : value > spec.max;
    if (!std::isfinite(value) || below || above)
      throw ConfigError("activation '" + std::string(info.name) + "' parameter '" + key +
                        "' must be in " + format_range(spec));
    if (spec.kind == ParamKind::kBool && value != 0.0 && value != 1.0)
      throw ConfigError("activation '" + std::string(info.name) + "' parameter '" + key +
                        "' is a switch: true or false");
    values[static_cast<std::size_t>(it - info.params.begin())] = value;
  }
  if (info.check_params) info.check_params(values);
  return values;
}

template <>
std::unique_ptr<Layer<float>> make_activation_layer<float>(const ActivationConfig& config,
                                                           std::size_t width) {
  if (config.formula)
    return std::make_unique<FormulaActivationLayer<float>>(
        make_formula_activation(*config.formula,
                                formula_param_values(config.formula->definition, config.params)),
        width);
  const ActivationInfo& info = find_activation(config.name);
  return info.make_float(width, resolve_activation_params(info, config));
}

template <>
std::unique_ptr<Layer<double>> make_activation_layer<double>(const ActivationConfig& config,
                                                             std::size_t width) {
  if (config.formula)
    return std::make_unique<FormulaActivationLayer<double>>(
        make_formula_activation(*config.formula,
                                formula_param_values(config.formula->definition, config.params)),
        width);
  const ActivationInfo& info = find_activation(config.name);
  return info.make_double(width, resolve_activation_params(info, config));
}

}  // namespace actlab
