#include "actlab/config/sections/layer_list.hpp"

#include <algorithm>

#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"
#include "actlab/nn/activation_config.hpp"
#include "actlab/nn/formula/formula_activation.hpp"

namespace actlab {
namespace {

// model.layers after expanding repeats; far beyond any network trained here.
constexpr std::size_t kMaxLayers = 10000;

const std::vector<std::string>& layer_kinds() {
  static const std::vector<std::string> kinds = {"linear",    "activation", "dropout", "batchnorm",
                                                 "layernorm", "residual",   "repeat"};
  return kinds;
}

// A YAML value that is there and not null (`{batchnorm: }` is the bare name).
bool given(const YAML::Node& node) {
  return node.IsDefined() && !node.IsNull();
}

// Reads the entries of one list, with located errors; `model` gives the file name and the
// model-wide activation that bare `activation` entries and residual blocks default to.
class LayerListParser {
 public:
  LayerListParser(const YamlSection& model, const ActivationConfig& model_activation)
      : model_(model), model_activation_(model_activation) {}

  std::vector<LayerSpec> parse(const YAML::Node& list, const std::string& path) {
    if (!list.IsSequence())
      model_.fail_at(list, path, "expected a list of layers, e.g. [{linear: 256}, relu]");
    std::vector<LayerSpec> layers;
    append(list, path, layers);
    return layers;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& where,
                         const std::string& message) const {
    model_.fail_at(node, where, message);
  }

  void append(const YAML::Node& list, const std::string& path, std::vector<LayerSpec>& layers) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = path + "[" + std::to_string(i) + "]";
      const YAML::Node& node = list[i];
      if (node.IsMap() && node.size() == 1 && (*node.begin()).first.Scalar() == "repeat")
        repeat((*node.begin()).second, (*node.begin()).first, where + ".repeat", layers);
      else
        layers.push_back(entry(node, where));
      // Nested repeats multiply: bound the list so that a typo cannot exhaust memory.
      if (layers.size() > kMaxLayers)
        fail(node, where,
             "more than " + std::to_string(kMaxLayers) + " layers after expanding repeats");
    }
  }

  // {repeat: {times: 20, layers: [{linear: 128}, batchnorm, relu]}}: the layers, `times` times in
  // a row. A study's `model.depth` sets `times` (README "Studies"), so `times` may be left out
  // there. Each copy is parsed again, so widths are followed (and errors located) as if written
  // out.
  void repeat(const YAML::Node& arg, const YAML::Node& kind_node, const std::string& where,
              std::vector<LayerSpec>& layers) {
    if (!arg.IsMap())
      fail(given(arg) ? arg : kind_node, where,
           "expected {repeat: {times: N, layers: [...]}}, e.g. {repeat: {times: 10, layers: "
           "[{linear: 128}, relu]}}");
    YamlSection section(arg, model_.source(), where);
    if (!section.has("times"))
      fail(arg, where,
           "a repeat needs its count, times: N (in a study, sweeping model.depth sets it)");
    const std::int64_t times = section.integer("times", 0);
    section.require("times", times >= 1 && times <= static_cast<std::int64_t>(kMaxLayers),
                    "between 1 and " + std::to_string(kMaxLayers));
    const YAML::Node list = section.raw("layers");
    if (!list.IsSequence())
      fail(given(list) ? list : arg, where + ".layers",
           "expected the list of layers to repeat, e.g. layers: [{linear: 128}, relu]");
    section.reject_unknown_keys();
    for (std::int64_t t = 0; t < times; ++t)
      append(list, where + ".layers", layers);
  }

  LayerSpec entry(const YAML::Node& node, const std::string& where) {
    std::string kind;
    YAML::Node arg;  // undefined: the bare name
    // reset(), not =: assigning to a yaml-cpp node that refers into the tree rewrites the tree.
    YAML::Node kind_node;
    kind_node.reset(node);
    if (node.IsScalar()) {
      kind = node.Scalar();
    } else if (node.IsMap() && node.size() == 1) {
      const auto item = *node.begin();
      kind_node.reset(item.first);
      kind = item.first.Scalar();
      arg.reset(item.second);
    } else {
      fail(node, where,
           "expected one layer: a name (relu, batchnorm, ...) or a map with one key, the layer's "
           "kind ({linear: 256}, {dropout: 0.3}, ...)");
    }
    LayerSpec spec;
    if (kind == "linear") {
      spec.kind = LayerSpec::Kind::kLinear;
      spec.width = linear_width(arg, kind_node, where + ".linear");
      width_ = spec.width;
    } else if (kind == "activation") {
      spec.kind = LayerSpec::Kind::kActivation;
      spec.activation = given(arg) ? activation(arg, where + ".activation") : model_activation_;
      follow_activation(spec.activation, kind_node, where);
    } else if (kind == "dropout") {
      spec.kind = LayerSpec::Kind::kDropout;
      spec.dropout = dropout(arg, where + ".dropout");
    } else if (kind == "batchnorm" || kind == "layernorm") {
      spec.kind = LayerSpec::Kind::kNorm;
      spec.norm = norm(kind, arg, kind_node, where + "." + kind);
    } else if (kind == "residual") {
      spec.kind = LayerSpec::Kind::kResidual;
      residual(spec, arg, kind_node, where + ".residual");
    } else if (is_activation(kind)) {
      // A registry name or one the activations: section defines: `relu`, or with parameters
      // {leaky_relu: {alpha: 0.2}}.
      spec.kind = LayerSpec::Kind::kActivation;
      YAML::Node full(YAML::NodeType::Map);
      full["name"] = kind;
      if (given(arg)) {
        if (!arg.IsMap())
          fail(arg, where + "." + kind,
               "expected the activation's parameters, e.g. {" + kind + ": {<parameter>: ...}}");
        for (const auto& item : arg)
          full[item.first.Scalar()] = item.second;
      }
      spec.activation = activation(full, where + "." + kind, given(arg) ? arg : kind_node);
      follow_activation(spec.activation, kind_node, where);
    } else {
      std::vector<std::string> names = layer_kinds();
      for (const auto& name : activation_names())
        names.push_back(name);
      std::string message = "unknown layer '" + kind + "'";
      if (auto nearest = nearest_name(kind, names))
        message += " (did you mean '" + *nearest + "'?)";
      fail(kind_node, where,
           message + "; a layer is one of " + join(layer_kinds(), ", ") +
               ", or an activation's name (`actlab activations` lists them)");
    }
    return spec;
  }

  static bool is_activation(const std::string& name) {
    const auto names = activation_names();
    return std::find(names.begin(), names.end(), name) != names.end() ||
           is_formula_activation(name);
  }

  // An integer scalar, located on error.
  std::int64_t integer(const YAML::Node& node, const std::string& where,
                       const std::string& expectation) const {
    std::int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<std::int64_t>::decode(node, value))
      fail(node, where, "expected " + expectation);
    return value;
  }

  std::size_t checked_width(std::int64_t value, const YAML::Node& node,
                            const std::string& where) const {
    if (value < 1 || value > kMaxLayerWidth)
      fail(node, where, "a layer width must be between 1 and " + std::to_string(kMaxLayerWidth));
    return static_cast<std::size_t>(value);
  }

  // {linear: 256} or {linear: {width: 256}}
  std::size_t linear_width(const YAML::Node& arg, const YAML::Node& kind_node,
                           const std::string& where) {
    if (!given(arg)) fail(kind_node, where, "a linear layer needs its width, e.g. {linear: 256}");
    if (arg.IsMap()) {
      YamlSection section(arg, model_.source(), where);
      if (!section.has("width")) fail(arg, where, "a linear layer needs its width: {width: 256}");
      const std::int64_t value = section.integer("width", 0);
      section.reject_unknown_keys();
      return checked_width(value, arg["width"], where + ".width");
    }
    return checked_width(integer(arg, where, "a width, e.g. {linear: 256}"), arg, where);
  }

  // As model.activation: a name or {name: ..., <parameter>: ...}; `at` locates errors.
  ActivationConfig activation(const YAML::Node& node, const std::string& where,
                              const YAML::Node& at = YAML::Node()) const {
    try {
      return parse_activation_config(node, where);
    } catch (const FormulaNodeError& e) {
      throw ConfigError(e.located(model_.source()));
    } catch (const ConfigError& e) {
      throw ConfigError(location_message(model_.source(), given(at) ? at : node, "", e.what()));
    }
  }

  // A gated activation halves the width; when the width is known here, an odd one is reported
  // with its location (build_mlp checks the rest once the input width is known).
  void follow_activation(const ActivationConfig& config, const YAML::Node& node,
                         const std::string& where) {
    const std::size_t multiplier = activation_entry(config).width_multiplier;
    if (!width_) return;
    if (*width_ % multiplier != 0)
      fail(node, where,
           config.name +
               " halves its input, which must then have an even number of units; it "
               "gets " +
               std::to_string(*width_));
    *width_ /= multiplier;
  }

  // {dropout: 0.3} or {dropout: {p: 0.3}}; bare `dropout` is p = 0.5 (PyTorch's default).
  double dropout(const YAML::Node& arg, const std::string& where) const {
    double p = 0.5;
    YAML::Node at;
    at.reset(arg);
    if (arg.IsMap()) {
      YamlSection section(arg, model_.source(), where);
      p = section.real("p", p);
      section.reject_unknown_keys();
      at.reset(arg["p"]);
    } else if (given(arg)) {
      if (!arg.IsScalar() || !YAML::convert<double>::decode(arg, p))
        fail(arg, where, "expected the drop probability p, e.g. {dropout: 0.3}");
    }
    // p = 1 drops every unit: the output is all zeros and nothing trains.
    if (!(p >= 0 && p < 1)) fail(given(at) ? at : arg, where, "p must be in [0, 1)");
    return p;
  }

  // batchnorm / layernorm, bare or with options {eps, affine} (+ momentum for batchnorm).
  NormSpec norm(const std::string& kind, const YAML::Node& arg, const YAML::Node& kind_node,
                const std::string& where) const {
    NormSpec spec;
    spec.kind = kind == "batchnorm" ? NormKind::kBatchNorm : NormKind::kLayerNorm;
    if (!given(arg)) return spec;
    if (!arg.IsMap())
      fail(given(arg) ? arg : kind_node, where,
           "expected options, e.g. {" + kind + ": {eps: 1e-5, affine: true" +
               (kind == "batchnorm" ? ", momentum: 0.1" : "") + "}}, or just " + kind);
    YamlSection section(arg, model_.source(), where);
    spec.eps = section.real("eps", spec.eps);
    section.require("eps", spec.eps > 0, "positive");
    spec.affine = section.boolean("affine", spec.affine);
    if (spec.kind == NormKind::kBatchNorm) {
      spec.momentum = section.real("momentum", spec.momentum);
      section.require("momentum", spec.momentum >= 0 && spec.momentum <= 1, "in [0, 1]");
    }
    section.reject_unknown_keys();
    return spec;
  }

  // {residual: {width: 256, activation: gelu, norm: layernorm}}; every key optional.
  void residual(LayerSpec& spec, const YAML::Node& arg, const YAML::Node& kind_node,
                const std::string& where) {
    spec.activation = model_activation_;
    spec.norm.kind = NormKind::kLayerNorm;
    if (given(arg) && !arg.IsMap())
      fail(arg, where, "expected options, e.g. {residual: {activation: gelu, norm: layernorm}}");
    if (given(arg)) {
      YamlSection section(arg, model_.source(), where);
      if (section.has("width")) {
        spec.width = checked_width(section.integer("width", 0), arg["width"], where + ".width");
        if (width_ && *width_ != spec.width)
          section.fail("width", "the block keeps its input's width, " + std::to_string(*width_) +
                                    " here (x + Linear(f(Norm(x))))");
      }
      const YAML::Node act = section.raw("activation");
      if (act.IsDefined() && !act.IsNull())
        spec.activation = activation(act, section.key_path("activation"));
      const YAML::Node norm_node = section.raw("norm");
      if (norm_node.IsDefined() && !norm_node.IsNull())
        spec.norm = residual_norm(norm_node, section.key_path("norm"));
      section.reject_unknown_keys();
    }
    if (spec.width != 0 && !width_) width_ = spec.width;
    // The block's activation must fit its width (a gated one needs it even); the width stays.
    if (width_ && *width_ % activation_entry(spec.activation).width_multiplier != 0)
      fail(kind_node, where,
           spec.activation.name +
               " halves its input, which must then have an even number of "
               "units; the block's width is " +
               std::to_string(*width_));
  }

  // none | layernorm | batchnorm | {layernorm: {eps: ...}} | {batchnorm: {momentum: ...}}
  NormSpec residual_norm(const YAML::Node& node, const std::string& where) const {
    std::string kind;
    YAML::Node arg;
    if (node.IsScalar()) {
      kind = node.Scalar();
    } else if (node.IsMap() && node.size() == 1) {
      kind = (*node.begin()).first.Scalar();
      arg.reset((*node.begin()).second);
    } else {
      fail(node, where, "expected none, layernorm, batchnorm or e.g. {batchnorm: {momentum: 0.1}}");
    }
    if (kind == "none" && !given(arg)) return {};
    if (kind != "layernorm" && kind != "batchnorm")
      fail(node, where, unknown_name_message("norm", kind, {"none", "layernorm", "batchnorm"}));
    return norm(kind, arg, node, where + "." + kind);
  }

  const YamlSection& model_;
  ActivationConfig model_activation_;
  std::optional<std::size_t> width_;  // the current width, once a Linear has fixed it
};

YAML::Node norm_options_yaml(const NormSpec& norm) {
  YAML::Node options;
  if (norm.kind == NormKind::kBatchNorm) options["momentum"] = norm.momentum;
  options["eps"] = norm.eps;
  options["affine"] = norm.affine;
  return options;
}

// One list entry, in the map form that parses back to the same LayerSpec.
YAML::Node layer_yaml(const LayerSpec& layer) {
  YAML::Node entry;
  switch (layer.kind) {
    case LayerSpec::Kind::kLinear:
      entry["linear"] = layer.width;
      break;
    case LayerSpec::Kind::kActivation:
      entry["activation"] = activation_yaml(layer.activation);
      break;
    case LayerSpec::Kind::kDropout:
      entry["dropout"] = layer.dropout;
      break;
    case LayerSpec::Kind::kNorm:
      entry[std::string(norm_kind_name(layer.norm.kind))] = norm_options_yaml(layer.norm);
      break;
    case LayerSpec::Kind::kResidual: {
      YAML::Node options;
      if (layer.width != 0) options["width"] = layer.width;
      options["activation"] = activation_yaml(layer.activation);
      if (layer.norm.kind == NormKind::kNone) {
        options["norm"] = "none";
      } else {
        YAML::Node norm;
        norm[std::string(norm_kind_name(layer.norm.kind))] = norm_options_yaml(layer.norm);
        options["norm"] = norm;
      }
      entry["residual"] = options;
      break;
    }
  }
  entry.SetStyle(YAML::EmitterStyle::Flow);
  return entry;
}

}  // namespace

void LayerListField::read(YamlSection& model, const std::string& key,
                          std::optional<std::vector<LayerSpec>>& layers) const {
  const YAML::Node list = model.raw(key);
  if (list.IsDefined() && !list.IsNull())
    layers = LayerListParser(model, model_activation).parse(list, model.key_path(key));
}

std::optional<YAML::Node> LayerListField::write(
    const std::optional<std::vector<LayerSpec>>& layers) const {
  if (!layers) return std::nullopt;
  YAML::Node list(YAML::NodeType::Sequence);
  for (const LayerSpec& layer : *layers)
    list.push_back(layer_yaml(layer));
  return list;
}

// {name: leaky_relu, alpha: 0.01}: every parameter, resolved.
YAML::Node activation_yaml(const ActivationConfig& config) {
  YAML::Node activation;
  activation["name"] = config.name;
  if (config.formula) {
    // A named definition writes its parameter values (the section has its formula); an inline
    // one, its whole definition with them.
    const FormulaDefinition& definition = config.formula->definition;
    const auto values = formula_param_values(definition, config.params);
    if (definition.name.empty() || !config.formula->library.count(definition.name)) {
      FormulaDefinition resolved = definition;
      for (std::size_t k = 0; k < values.size(); ++k)
        resolved.params[k].second = values[k];
      if (definition.name.empty()) activation.remove("name");
      for (const auto& item : formula_definition_yaml(resolved))
        activation[item.first] = item.second;
      return activation;
    }
    for (std::size_t k = 0; k < values.size(); ++k)
      activation[definition.params[k].first] = values[k];
    return activation;
  }
  const ActivationInfo& info = find_activation(config.name);
  const auto values = resolve_activation_params(info, config);
  for (std::size_t k = 0; k < info.params.size(); ++k) {
    if (info.params[k].kind == ParamKind::kBool)
      activation[std::string(info.params[k].name)] = values[k] != 0.0;
    else
      activation[std::string(info.params[k].name)] = values[k];
  }
  return activation;
}

}  // namespace actlab
