#include "actlab/config/experiment_config.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "actlab/config/yaml_reader.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"
#include "actlab/data/synthetic.hpp"
#include "actlab/nn/activation_config.hpp"

namespace actlab {
namespace {

constexpr std::int64_t kMaxWidth = 1 << 20;
// model.layers after expanding repeats; far beyond any network trained here.
constexpr std::size_t kMaxLayers = 10000;

std::size_t positive_size(YamlSection& section, const std::string& key, std::int64_t fallback,
                          std::int64_t minimum) {
  const std::int64_t value = section.integer(key, fallback);
  section.require(key, value >= minimum, "at least " + std::to_string(minimum));
  return static_cast<std::size_t>(value);
}

// `activation: gelu` or `activation: {name: leaky_relu, alpha: 0.2}` (activation_config.hpp).
ActivationConfig parse_activation(YamlSection& model, const std::string& source) {
  const YAML::Node node = model.raw("activation");
  if (!node.IsDefined() || node.IsNull()) return {};
  try {
    return parse_activation_config(node, model.key_path("activation"));
  } catch (const ConfigError& e) {
    throw ConfigError(location_message(source, node, "", e.what()));
  }
}

// `init: he_normal` or `init: {name: normal, std: 0.02}`.
InitializerSpec parse_init(YamlSection& model, const std::string& source) {
  YAML::Node node = model.raw("init");
  InitializerSpec spec;
  if (!node.IsDefined() || node.IsNull()) return spec;
  std::string name;
  YamlSection section(node.IsMap() ? node : YAML::Node(YAML::NodeType::Map), source,
                      model.key_path("init"));
  if (node.IsScalar()) {
    name = node.Scalar();
  } else if (node.IsMap()) {
    name = section.string("name", "");
    spec.std = section.real("std", spec.std);
    section.require("std", spec.std > 0, "positive");
    section.reject_unknown_keys();
  } else {
    model.fail("init", "expected an initializer name or {name: normal, std: ...}");
  }
  try {
    spec.kind = parse_initializer(name);
  } catch (const ConfigError& e) {
    throw ConfigError(location_message(source, node.IsMap() ? node["name"] : node,
                                       model.key_path("init"), e.what()));
  }
  return spec;
}

// ---------------------------------------------------------------------------------------------
// model.layers: the explicit layer list (README "Model layers"). Each entry is a name (`relu`,
// `batchnorm`, `activation`, ...) or a map with one key, the layer's kind, whose value is the
// shorthand argument or a map of options: {linear: 256}, {dropout: {p: 0.3}}, ...

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
      // A registry name: `relu`, or with parameters {leaky_relu: {alpha: 0.2}}.
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
    return std::find(names.begin(), names.end(), name) != names.end();
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
    if (value < 1 || value > kMaxWidth)
      fail(node, where, "a layer width must be between 1 and " + std::to_string(kMaxWidth));
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
    } catch (const ConfigError& e) {
      throw ConfigError(location_message(model_.source(), given(at) ? at : node, "", e.what()));
    }
  }

  // A gated activation halves the width; when the width is known here, an odd one is reported
  // with its location (build_mlp checks the rest once the input width is known).
  void follow_activation(const ActivationConfig& config, const YAML::Node& node,
                         const std::string& where) {
    const std::size_t multiplier = find_activation(config.name).width_multiplier;
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
    if (!(p >= 0 && p <= 1)) fail(given(at) ? at : arg, where, "p must be in [0, 1]");
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
    if (width_ && *width_ % find_activation(spec.activation.name).width_multiplier != 0)
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

template <typename Enum, std::size_t N>
Enum parse_choice(YamlSection& section, const std::string& key,
                  const std::array<std::pair<std::string_view, Enum>, N>& choices, Enum fallback) {
  std::string fallback_name;
  std::vector<std::string> names;
  for (const auto& [name, value] : choices) {
    names.emplace_back(name);
    if (value == fallback) fallback_name = name;
  }
  const std::string given = section.string(key, fallback_name);
  for (const auto& [name, value] : choices)
    if (name == given) return value;
  section.fail(key, unknown_name_message(key, given, names));
}

constexpr std::array<std::pair<std::string_view, ClipMode>, 4> kClipModes{{
    {"none", ClipMode::kNone},
    {"norm", ClipMode::kNorm},
    {"value", ClipMode::kValue},
    {"layer_norm", ClipMode::kLayerNorm},
}};

constexpr std::array<std::pair<std::string_view, Normalization>, 2> kNormalizations{{
    {"scale", Normalization::kScale},
    {"standardize", Normalization::kStandardize},
}};

// A name from a list of valid ones, located at the key on error.
std::string parse_name(YamlSection& section, const std::string& key, const std::string& fallback,
                       const std::vector<std::string>& valid, const std::string& what) {
  const std::string name = section.string(key, fallback);
  if (std::find(valid.begin(), valid.end(), name) == valid.end())
    section.fail(key, unknown_name_message(what, name, valid));
  return name;
}

}  // namespace

std::string_view clip_mode_name(ClipMode mode) {
  for (const auto& [name, value] : kClipModes)
    if (value == mode) return name;
  return "?";
}

ExperimentConfig parse_config(const YAML::Node& root_node, const std::string& source) {
  if (!root_node.IsDefined() || root_node.IsNull())
    throw ConfigError(source + ": the configuration is empty");
  YamlSection root(root_node, source, "");
  ExperimentConfig config;
  config.name = root.string("name", config.name);
  root.require("name",
               !config.name.empty() && config.name.find('/') == std::string::npos &&
                   config.name != "." && config.name != "..",
               "a non-empty name without '/' (it names the output folder)");
  const std::int64_t seed = root.integer("seed", 1);
  root.require("seed", seed >= 0, "a non-negative integer");
  config.seed = static_cast<std::uint64_t>(seed);
  const std::int64_t threads = root.integer("threads", 0);
  root.require("threads", threads >= 0 && threads <= 1024, "0 (all cores) or a thread count");
  config.threads = static_cast<int>(threads);
  if (root.has("target_accuracy")) {
    config.target_accuracy = root.real("target_accuracy", 0.0);
    root.require("target_accuracy", *config.target_accuracy > 0 && *config.target_accuracy <= 1,
                 "in (0, 1]");
  } else {
    root.raw("target_accuracy");
  }

  YamlSection data = root.section("data");
  config.data.dataset =
      parse_name(data, "dataset", config.data.dataset, dataset_names(), "dataset");
  config.data.path = data.string("path", config.data.path.string());
  if (config.data.dataset == "idx" && config.data.path.empty())
    data.fail("path", "dataset 'idx' needs data.path: the folder holding the IDX files");
  const bool generated = is_synthetic_dataset(config.data.dataset);
  // The generated data sets hold 1000 training points by default: 5000 would leave none.
  config.data.validation_size = positive_size(
      data, "validation_size", generated ? 200 : (config.data.dataset == "mnist-10k" ? 1000 : 5000),
      0);  // 5,000 of Fashion-MNIST's 60,000 training images; 1,000 of mnist-10k's 8,000
  config.data.train_subset = positive_size(data, "train_subset", 0, 0);
  config.data.test_subset = positive_size(data, "test_subset", 0, 0);
  config.data.normalization =
      parse_choice(data, "normalization", kNormalizations, config.data.normalization);
  for (const char* key : {"points", "noise"})
    if (!generated && data.has(key))
      data.fail(key, "applies to the generated data sets (spiral, xor) only");
  config.data.points = positive_size(data, "points", 1000, 2);
  config.data.noise = data.real("noise", config.data.noise);
  data.require("noise", config.data.noise >= 0 && config.data.noise <= 1, "between 0 and 1");
  data.reject_unknown_keys();

  YamlSection model = root.section("model");
  if (model.has("layers") && model.has("hidden"))
    model.fail("hidden",
               "use either model.hidden (a Linear and the activation per width) or model.layers "
               "(an explicit list of layers), not both");
  const auto hidden = model.integer_list("hidden", {256, 256});
  config.model.hidden.clear();
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    if (hidden[i] < 1 || hidden[i] > kMaxWidth)
      model.fail_at(model.node()["hidden"][i],
                    model.key_path("hidden") + "[" + std::to_string(i) + "]",
                    "a layer width must be between 1 and " + std::to_string(kMaxWidth));
    config.model.hidden.push_back(static_cast<std::size_t>(hidden[i]));
  }
  config.model.activation = parse_activation(model, source);
  const YAML::Node layers = model.raw("layers");
  if (layers.IsDefined() && !layers.IsNull())
    config.model.layers =
        LayerListParser(model, config.model.activation).parse(layers, model.key_path("layers"));
  config.model.init = parse_init(model, source);
  config.model.bias_init = model.real("bias_init", 0.0);
  model.reject_unknown_keys();

  YamlSection optimizer = root.section("optimizer");
  OptimizerConfig& opt = config.optimizer;
  opt.name = parse_name(optimizer, "name", opt.name, optimizer_names(), "optimizer");
  opt.learning_rate = optimizer.real("learning_rate", opt.learning_rate);
  optimizer.require("learning_rate", opt.learning_rate > 0, "positive");
  opt.momentum = optimizer.real("momentum", opt.momentum);
  optimizer.require("momentum", opt.momentum >= 0 && opt.momentum < 1, "in [0, 1)");
  opt.dampening = optimizer.real("dampening", opt.dampening);
  optimizer.require("dampening", opt.dampening >= 0 && opt.dampening <= 1, "in [0, 1]");
  opt.nesterov = optimizer.boolean("nesterov", opt.nesterov);
  if (opt.nesterov && (opt.momentum <= 0 || opt.dampening != 0))
    optimizer.fail("nesterov", "Nesterov momentum needs momentum > 0 and dampening 0");
  if (optimizer.has("weight_decay")) {
    opt.weight_decay = optimizer.real("weight_decay", 0.0);
    optimizer.require("weight_decay", *opt.weight_decay >= 0, "non-negative");
  } else {
    optimizer.raw("weight_decay");
  }
  const auto betas = optimizer.real_list("betas", {opt.beta1, opt.beta2});
  optimizer.require(
      "betas", betas.size() == 2 && betas[0] >= 0 && betas[0] < 1 && betas[1] >= 0 && betas[1] < 1,
      "two numbers in [0, 1), e.g. [0.9, 0.999]");
  opt.beta1 = betas[0];
  opt.beta2 = betas[1];
  if (optimizer.has("eps")) {
    opt.eps = optimizer.real("eps", 0.0);
    optimizer.require("eps", *opt.eps > 0, "positive");
  } else {
    optimizer.raw("eps");
  }
  optimizer.reject_unknown_keys();

  YamlSection schedule = root.section("schedule");
  ScheduleConfig& sched = config.schedule;
  sched.name = parse_name(schedule, "name", sched.name, schedule_names(), "schedule");
  sched.step_epochs =
      positive_size(schedule, "step_epochs", static_cast<std::int64_t>(sched.step_epochs), 1);
  sched.gamma = schedule.real("gamma", sched.gamma);
  schedule.require("gamma", sched.gamma > 0, "positive");
  sched.min_lr = schedule.real("min_lr", sched.min_lr);
  schedule.require("min_lr", sched.min_lr >= 0, "non-negative");
  sched.warmup_steps = positive_size(schedule, "warmup_steps", 0, 0);
  schedule.reject_unknown_keys();

  YamlSection clip = root.section("clip");
  config.clip.mode = parse_choice(clip, "mode", kClipModes, config.clip.mode);
  config.clip.max_norm = clip.real("max_norm", config.clip.max_norm);
  clip.require("max_norm", config.clip.max_norm > 0, "positive");
  if (clip.has("norm_type") && clip.raw("norm_type").IsScalar() &&
      clip.raw("norm_type").Scalar() == "inf") {
    config.clip.norm_type = std::numeric_limits<double>::infinity();
  } else {
    config.clip.norm_type = clip.real("norm_type", 2.0);
    clip.require("norm_type", config.clip.norm_type >= 1, "at least 1, or inf");
  }
  config.clip.value = clip.real("value", config.clip.value);
  clip.require("value", config.clip.value > 0, "positive");
  clip.reject_unknown_keys();

  YamlSection train = root.section("train");
  config.train.epochs = positive_size(train, "epochs", 5, 0);
  config.train.batch_size = positive_size(train, "batch_size", 128, 1);
  config.train.label_smoothing = train.real("label_smoothing", 0.0);
  train.require("label_smoothing",
                config.train.label_smoothing >= 0 && config.train.label_smoothing < 1, "in [0, 1)");
  config.train.eval_batch_size = positive_size(train, "eval_batch_size", 2048, 1);
  YamlSection early = train.section("early_stopping");
  EarlyStoppingConfig& stopping = config.train.early_stopping;
  stopping.patience = positive_size(early, "patience", 0, 0);
  if (stopping.enabled() && config.data.validation_size == 0)
    early.fail("patience",
               "early stopping watches the validation loss: it needs "
               "data.validation_size > 0");
  stopping.min_delta = early.real("min_delta", 0.0);
  early.require("min_delta", stopping.min_delta >= 0, "non-negative");
  early.reject_unknown_keys();
  train.reject_unknown_keys();

  YamlSection probes = root.section("probes");
  ProbeConfig& pc = config.probes;
  pc.enabled = probes.boolean("enabled", pc.enabled);
  pc.probe_set_size =
      positive_size(probes, "probe_set_size", static_cast<std::int64_t>(pc.probe_set_size), 1);
  pc.every_steps =
      positive_size(probes, "every_steps", static_cast<std::int64_t>(pc.every_steps), 0);
  pc.saturation_epsilon = probes.real("saturation_epsilon", pc.saturation_epsilon);
  probes.require("saturation_epsilon", pc.saturation_epsilon >= 0 && pc.saturation_epsilon < 1,
                 "in [0, 1)");
  pc.dormant_tau = probes.real("dormant_tau", pc.dormant_tau);
  probes.require("dormant_tau", pc.dormant_tau >= 0, "non-negative");
  pc.warnings = probes.boolean("warnings", pc.warnings);
  probes.reject_unknown_keys();

  YamlSection output = root.section("output");
  config.output.dir = output.string("dir", config.output.dir.string());
  output.reject_unknown_keys();

  root.reject_unknown_keys();
  return config;
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + assignment + ": the value is not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node node = root;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (key.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + path + "'");
    if (dot == std::string::npos) {
      node[key] = value;
      return;
    }
    YAML::Node child = node[key];
    if (!child.IsDefined() || child.IsNull()) {
      node[key] = YAML::Node(YAML::NodeType::Map);
      child.reset(node[key]);
    } else if (!child.IsMap()) {
      throw ConfigError("--set " + assignment + ": '" + path.substr(0, dot) +
                        "' is not a mapping, so it has no key '" + path.substr(dot + 1) + "'");
    }
    node.reset(child);
    start = dot + 1;
  }
}

ExperimentConfig load_config(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw ConfigError(file.string() + ": cannot open the configuration file");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  for (const auto& assignment : overrides)
    apply_override(root, assignment);
  return parse_config(root, file.string());
}

namespace {

// {name: leaky_relu, alpha: 0.01}: every parameter, resolved.
YAML::Node activation_yaml(const ActivationConfig& config) {
  YAML::Node activation;
  activation["name"] = config.name;
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

YAML::Node to_yaml(const ExperimentConfig& c) {
  YAML::Node root;
  root["name"] = c.name;
  root["seed"] = c.seed;
  root["threads"] = c.threads;
  if (c.target_accuracy)
    root["target_accuracy"] = *c.target_accuracy;
  else
    root["target_accuracy"] = YAML::Null;
  YAML::Node data;
  data["dataset"] = c.data.dataset;
  data["path"] = c.data.path.string();
  data["validation_size"] = c.data.validation_size;
  data["train_subset"] = c.data.train_subset;
  data["test_subset"] = c.data.test_subset;
  data["normalization"] = c.data.normalization == Normalization::kScale ? "scale" : "standardize";
  if (is_synthetic_dataset(c.data.dataset)) {
    data["points"] = c.data.points;
    data["noise"] = c.data.noise;
  }
  root["data"] = data;
  YAML::Node model;
  if (c.model.layers) {
    YAML::Node layers(YAML::NodeType::Sequence);
    for (const LayerSpec& layer : *c.model.layers)
      layers.push_back(layer_yaml(layer));
    model["layers"] = layers;
  } else {
    YAML::Node hidden(YAML::NodeType::Sequence);
    for (std::size_t h : c.model.hidden)
      hidden.push_back(h);
    hidden.SetStyle(YAML::EmitterStyle::Flow);
    model["hidden"] = hidden;
  }
  model["activation"] = activation_yaml(c.model.activation);
  YAML::Node init;
  init["name"] = std::string(initializer_name(c.model.init.kind));
  if (c.model.init.kind == Initializer::kNormal) init["std"] = c.model.init.std;
  model["init"] = init;
  model["bias_init"] = c.model.bias_init;
  root["model"] = model;
  YAML::Node opt;
  opt["name"] = c.optimizer.name;
  opt["learning_rate"] = c.optimizer.learning_rate;
  opt["momentum"] = c.optimizer.momentum;
  opt["dampening"] = c.optimizer.dampening;
  opt["nesterov"] = c.optimizer.nesterov;
  if (c.optimizer.weight_decay) opt["weight_decay"] = *c.optimizer.weight_decay;
  YAML::Node betas(YAML::NodeType::Sequence);
  betas.push_back(c.optimizer.beta1);
  betas.push_back(c.optimizer.beta2);
  betas.SetStyle(YAML::EmitterStyle::Flow);
  opt["betas"] = betas;
  opt["eps"] = c.optimizer.eps.value_or(default_eps(c.optimizer.name));
  root["optimizer"] = opt;
  YAML::Node sched;
  sched["name"] = c.schedule.name;
  sched["step_epochs"] = c.schedule.step_epochs;
  sched["gamma"] = c.schedule.gamma;
  sched["min_lr"] = c.schedule.min_lr;
  sched["warmup_steps"] = c.schedule.warmup_steps;
  root["schedule"] = sched;
  YAML::Node clip;
  clip["mode"] = std::string(clip_mode_name(c.clip.mode));
  clip["max_norm"] = c.clip.max_norm;
  if (std::isinf(c.clip.norm_type))
    clip["norm_type"] = "inf";
  else
    clip["norm_type"] = c.clip.norm_type;
  clip["value"] = c.clip.value;
  root["clip"] = clip;
  YAML::Node train;
  train["epochs"] = c.train.epochs;
  train["batch_size"] = c.train.batch_size;
  train["label_smoothing"] = c.train.label_smoothing;
  train["eval_batch_size"] = c.train.eval_batch_size;
  YAML::Node early;
  early["patience"] = c.train.early_stopping.patience;
  early["min_delta"] = c.train.early_stopping.min_delta;
  train["early_stopping"] = early;
  root["train"] = train;
  YAML::Node probes;
  probes["enabled"] = c.probes.enabled;
  probes["probe_set_size"] = c.probes.probe_set_size;
  probes["every_steps"] = c.probes.every_steps;
  probes["saturation_epsilon"] = c.probes.saturation_epsilon;
  probes["dormant_tau"] = c.probes.dormant_tau;
  probes["warnings"] = c.probes.warnings;
  root["probes"] = probes;
  YAML::Node output;
  output["dir"] = c.output.dir.string();
  root["output"] = output;
  return root;
}

namespace {

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(absent)";
  if (node.IsScalar()) {
    // yaml-cpp writes doubles with 17 digits (0.050000000000000003): show the shortest form that
    // reads back as the same number (0.05).
    const std::string& text = node.Scalar();
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size() && text.find('.') != std::string::npos)
      for (int digits = 1; digits <= 17; ++digits) {
        char shortest[32];
        std::snprintf(shortest, sizeof(shortest), "%.*g", digits, value);
        if (std::strtod(shortest, nullptr) == value) return shortest;
      }
    return text;
  }
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// The first key path at which two configurations differ, with both values.
std::string first_difference(const YAML::Node& a, const YAML::Node& b, const std::string& path) {
  if (a.IsMap() && b.IsMap()) {
    for (const auto& item : a) {
      const std::string key = item.first.as<std::string>();
      std::string d = first_difference(item.second, b[key], path.empty() ? key : path + "." + key);
      if (!d.empty()) return d;
    }
    for (const auto& item : b) {
      const std::string key = item.first.as<std::string>();
      if (!a[key].IsDefined())
        return (path.empty() ? key : path + "." + key) + " is (absent) before, " +
               describe(item.second) + " now";
    }
    return "";
  }
  if (describe(a) == describe(b)) return "";
  return (path.empty() ? "the configuration" : path) + " is " + describe(a) + " before, " +
         describe(b) + " now";
}

}  // namespace

std::string config_difference(const std::string& before, const std::string& now) {
  try {
    return first_difference(YAML::Load(before), YAML::Load(now), "");
  } catch (const YAML::Exception&) {
    return "";
  }
}

std::string training_fingerprint(const ExperimentConfig& config) {
  YAML::Node root = to_yaml(config);
  for (const char* key : {"name", "threads", "output", "target_accuracy"})
    root.remove(key);
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

std::string config_digest(const ExperimentConfig& config) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a, 64-bit
  for (const unsigned char c : training_fingerprint(config)) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace actlab
