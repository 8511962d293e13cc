// Activations from a formula: the language's errors, the compiled program's values and exact
// derivatives (against PyTorch's goldens and float64 finite differences), the properties derived
// for the probes, and formula layers in a real training run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/error.hpp"
#include "actlab/experiment/sweep.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/formula/formula_activation.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"
#include "support/golden.hpp"
#include "support/gradient_check.hpp"

namespace actlab {
namespace {

const std::string kForms = "nn/formula/pytorch_forms.yaml";

ExperimentConfig load_forms() {
  return load_config(test::test_path(kForms));
}

std::string text_of(const std::string& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The config error of `yaml` (a whole config), or "" when it loads.
std::string config_error(const std::string& yaml) {
  try {
    parse_config(load_yaml(yaml, "test.yaml"), "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

ActivationConfig named(const ExperimentConfig& config, const std::string& name,
                       std::vector<std::pair<std::string, double>> params = {}) {
  ActivationConfig activation;
  activation.name = name;
  activation.params = std::move(params);
  activation.formula = std::make_shared<FormulaSource>(
      FormulaSource{config.activations.at(name), config.activations});
  return activation;
}

// f and f' of a row of inputs through the layer's forward (training) and backward.
template <typename T>
void evaluate(Layer<T>& layer, const std::vector<T>& x, std::vector<T>& y, std::vector<T>& dydx) {
  const std::size_t n = x.size();
  Matrix<T> in(1, n), out(1, n), dy(1, n), dx(1, n);
  std::copy(x.begin(), x.end(), in.data());
  dy.fill(T{1});
  ForwardContext context;
  context.training = true;
  layer.forward(in.view(), out.view(), context);
  layer.backward(dy.view(), dx.view());
  y.assign(out.data(), out.data() + n);
  dydx.assign(dx.data(), dx.data() + n);
}

// ---- The language: errors with their column ------------------------------------------------

std::string formula_error(const std::string& formula, std::size_t* column = nullptr) {
  try {
    FormulaDefinition d{"", formula, {{"b", 1.0}}, {}, false};
    FormulaProgram::compile(d, {1.0}, {});
  } catch (const FormulaError& e) {
    if (column) *column = e.column();
    return e.what();
  }
  return "";
}

TEST(FormulaLanguage, SyntaxErrorsNameTheColumn) {
  std::size_t column = 0;
  EXPECT_NE(formula_error("(x + 1", &column).find("expected ')'"), std::string::npos);
  EXPECT_EQ(column, 7u);
  EXPECT_NE(formula_error("x + * 2", &column).find("unexpected '*'"), std::string::npos);
  EXPECT_EQ(column, 5u);
  EXPECT_NE(formula_error("x ** 2", &column).find("'^'"), std::string::npos);
  EXPECT_NE(formula_error("x < 1 < 2").find("do not chain"), std::string::npos);
  EXPECT_NE(formula_error("").find("empty"), std::string::npos);
}

TEST(FormulaLanguage, UnknownNamesSuggestTheNearest) {
  std::size_t column = 0;
  EXPECT_NE(formula_error("x * sigmod(x)", &column).find("did you mean 'sigmoid'"),
            std::string::npos);
  EXPECT_EQ(column, 5u);
  EXPECT_NE(formula_error("x + bb").find("did you mean 'b'"), std::string::npos);
  EXPECT_NE(formula_error("elu(x, alpah=0.5)").find("did you mean 'alpha'"), std::string::npos);
  EXPECT_NE(formula_error("exp(x, 2)").find("takes 1 argument"), std::string::npos);
  EXPECT_NE(formula_error("elu(x, alpha=x)").find("must be a constant"), std::string::npos);
  EXPECT_NE(formula_error("elu(x, alpha=-1)").find("must be in"), std::string::npos);
  EXPECT_NE(formula_error("exp").find("is a function"), std::string::npos);
  // softplus, sigmoid and tanh are functions and, with parameters, activations.
  EXPECT_EQ(formula_error("softplus(x, beta=2) + softplus(x)"), "");
}

TEST(FormulaLanguage, LimitsOnLengthAndDepthAreStated) {
  std::string deep = "x";
  for (int i = 0; i < 40; ++i)
    deep = "(" + deep + ")";
  EXPECT_NE(formula_error(deep).find("nested too deeply: at most 32"), std::string::npos);
  std::string longest = "x";
  for (int i = 0; i < 300; ++i)
    longest += " + x";
  EXPECT_NE(formula_error(longest).find("too long"), std::string::npos);
  EXPECT_NE(formula_error(std::string(2000, 'x')).find("too long"), std::string::npos);
}

TEST(FormulaLanguage, ConstantsFoldAndOperatorsBindAsUsual) {
  FormulaDefinition d{"", "-x^2 + 2 * 3 - 8 / 4 / 2 + pi * 0 + e^0", {}, {}, false};
  const FormulaProgram p = FormulaProgram::compile(d, {}, {});
  const double x = 3;
  double y = 0, dy = 0;
  p.run<double>(&x, {}, &y, &dy, {}, 1);
  EXPECT_DOUBLE_EQ(y, -9 + 6 - 1 + 1);
  EXPECT_DOUBLE_EQ(dy, -6);
}

// ---- Config errors: file, line, column, caret ----------------------------------------------

TEST(FormulaConfig, ErrorsPointIntoTheFormulaInTheYaml) {
  const std::string error = config_error(
      "activations:\n"
      "  sp:\n"
      "    formula: (x + sqrt(x^2 + b) / 2\n"
      "    params: {b: 4}\n");
  EXPECT_NE(error.find("test.yaml:3:"), std::string::npos) << error;
  EXPECT_NE(error.find("expected ')'"), std::string::npos) << error;
  EXPECT_NE(error.find("^"), std::string::npos) << error;

  const std::string quoted = config_error("activations:\n  sp: \"x * sigmod(x)\"\n");
  EXPECT_NE(quoted.find("test.yaml:2:12: activations.sp: unknown function 'sigmod'"),
            std::string::npos)
      << quoted;
}

TEST(FormulaConfig, RefusesBadDefinitionsCleanly) {
  EXPECT_NE(config_error("activations:\n  relu: x\n").find("shadows the built-in activation"),
            std::string::npos);
  EXPECT_NE(config_error("activations:\n  exp: x\n").find("shadows the built-in 'exp'"),
            std::string::npos);
  EXPECT_NE(
      config_error("activations:\n  a: {formula: x * b, params: {b: }}\n").find("has no value"),
      std::string::npos);
  EXPECT_NE(config_error("activations:\n  a: a(x) + 1\n").find("'a' refers to itself"),
            std::string::npos);
  EXPECT_NE(config_error("activations:\n  a: b(x)\n  b: a(x)\n").find("refers to itself"),
            std::string::npos);
  const std::string log = config_error("activations:\n  bad: log(x)\n");
  EXPECT_NE(log.find("not finite at x = -1000"), std::string::npos) << log;
  const std::string exp = config_error("activations:\n  bad: exp(x)\n");
  EXPECT_NE(exp.find("f is not finite at x = 710.7"), std::string::npos) << exp;
  EXPECT_NE(config_error("activations:\n  a: {formula: x, lernable: [b]}\n")
                .find("did you mean 'learnable'"),
            std::string::npos);
  EXPECT_NE(config_error("model:\n  activation: {formula: \"sqrt(x)\"}\n").find("not finite"),
            std::string::npos);
  // Where the user opts in, a failed check is a warning and the formula is used.
  EXPECT_EQ(config_error("activations:\n  soft_log: {formula: log(x), check: warn}\n"), "");
  EXPECT_NE(config_error("activations:\n  a: {formula: x, check: maybe}\n").find("warn"),
            std::string::npos);
  // Calls are inlined: a chain that doubles at each step is refused by its size, not run.
  std::string chain = "activations:\n  a0: x * x\n";
  for (int i = 1; i <= 14; ++i)
    chain += "  a" + std::to_string(i) + ": a" + std::to_string(i - 1) + "(x) + a" +
             std::to_string(i - 1) + "(x)\n";
  EXPECT_NE(config_error(chain).find("once the activations it calls are inlined"),
            std::string::npos);
  // An override that makes the formula fail its check is reported where it is used.
  const std::string override_error = config_error(
      "activations:\n  sp: {formula: sqrt(x^2 + b), params: {b: 1}}\n"
      "model:\n  activation: {name: sp, b: -1}\n");
  EXPECT_NE(override_error.find("test.yaml:4:"), std::string::npos) << override_error;
}

TEST(FormulaConfig, NamedInlineAndOverriddenActivationsResolveAndRoundTrip) {
  const std::string yaml =
      "activations:\n"
      "  squareplus:\n"
      "    formula: (x + sqrt(x^2 + b)) / 2\n"
      "    params: {b: 4.0}\n"
      "model:\n"
      "  activation: {name: squareplus, b: 1.0}\n";
  const ExperimentConfig config = parse_config(load_yaml(yaml, "t.yaml"), "t.yaml");
  ASSERT_TRUE(config.model.activation.formula);
  EXPECT_EQ(config.model.activation.name, "squareplus");
  const std::string resolved = YAML::Dump(to_yaml(config));
  EXPECT_NE(resolved.find("(x + sqrt(x^2 + b)) / 2"), std::string::npos) << resolved;
  const ExperimentConfig again = parse_config(load_yaml(resolved, "r.yaml"), "r.yaml");
  EXPECT_EQ(YAML::Dump(to_yaml(again)), resolved);
  EXPECT_EQ(again.model.activation, config.model.activation);
  // The digest follows the formula text.
  std::string changed = yaml;
  changed.replace(changed.find("/ 2"), 3, "/ 3");
  EXPECT_NE(config_digest(parse_config(load_yaml(changed, "t.yaml"), "t.yaml")),
            config_digest(config));

  const ExperimentConfig inline_config = parse_config(
      load_yaml("model:\n  activation: {formula: \"x * tanh(softplus(x))\"}\n", "i.yaml"),
      "i.yaml");
  ASSERT_TRUE(inline_config.model.activation.formula);
  const std::string inline_resolved = YAML::Dump(to_yaml(inline_config));
  const ExperimentConfig inline_again =
      parse_config(load_yaml(inline_resolved, "r.yaml"), "r.yaml");
  EXPECT_EQ(YAML::Dump(to_yaml(inline_again)), inline_resolved);
  EXPECT_EQ(inline_again.model.activation, inline_config.model.activation);
}

TEST(FormulaConfig, SweepOverridesParametersOfADefinition) {
  const Study study = parse_study(
      "activations:\n"
      "  squareplus: {formula: (x + sqrt(x^2 + b)) / 2, params: {b: 4.0}}\n"
      "sweep:\n"
      "  model.activation: [relu, squareplus, {name: squareplus, b: 1.0}, "
      "{formula: \"x * sigmoid(x)\"}]\n",
      "s.yaml");
  ASSERT_EQ(study.cells.size(), 4u);
  EXPECT_FALSE(study.cells[0].config.model.activation.formula);
  EXPECT_TRUE(study.cells[2].config.model.activation.formula);
  EXPECT_NE(study.cells[1].config, study.cells[2].config);
}

TEST(FormulaConfig, SweepOverAllIsEveryHiddenActivation) {
  const Study study = parse_study("sweep:\n  model.activation: all\n", "all.yaml");
  std::vector<std::string> swept, hidden;
  for (const StudyCell& cell : study.cells)
    swept.push_back(cell.config.model.activation.name);
  for (const ActivationInfo& info : activation_registry())
    if (!info.output_side) hidden.emplace_back(info.name);
  EXPECT_EQ(swept, hidden);
  EXPECT_NE(std::find(swept.begin(), swept.end(), "mish"), swept.end());
  EXPECT_EQ(std::find(swept.begin(), swept.end(), "gumbel_softmax"), swept.end());
}

// ---- Values and derivatives ----------------------------------------------------------------

// The native test's tolerance (activation_test.cpp): float32 against PyTorch's float64.
constexpr double kRel = 2e-5;
constexpr double kValueFloor = 1e-15;
constexpr double kSlopeFloor = std::numeric_limits<float>::epsilon();

TEST(FormulaActivation, FormsOfNativeActivationsMatchPyTorchGoldens) {
  const ExperimentConfig forms = load_forms();
  const test::CsvTable table = test::read_golden_csv("activations.csv");
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    groups[{table.at(r, "name"), table.at(r, "params")}].push_back(r);
  std::set<std::string> checked;
  for (const auto& [key, rows] : groups) {
    const std::string name = "formula_" + key.first;
    if (!forms.activations.count(name)) continue;
    std::vector<std::pair<std::string, double>> params;
    for (const auto& [param, value] : test::parse_params(key.second))
      params.emplace_back(param, value);
    const ActivationConfig config = named(forms, name, params);
    std::vector<float> x;
    std::vector<double> x64;
    for (std::size_t r : rows) {
      x64.push_back(test::parse_number(table.at(r, "x")));
      x.push_back(static_cast<float>(x64.back()));
    }
    auto layer = make_activation_layer<float>(config, x.size());
    std::vector<float> y, dy;
    evaluate(*layer, x, y, dy);
    auto layer64 = make_activation_layer<double>(config, x.size());
    std::vector<double> y64, dy64;
    evaluate(*layer64, x64, y64, dy64);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double want_y = test::parse_number(table.at(rows[i], "y"));
      const double want_dy = test::parse_number(table.at(rows[i], "dy_dx"));
      SCOPED_TRACE(name + " " + key.second + " x=" + table.at(rows[i], "x"));
      EXPECT_NEAR(y[i], want_y, kValueFloor + kRel * std::abs(want_y));
      EXPECT_NEAR(y64[i], want_y, 1e-12 + 1e-9 * std::abs(want_y));
      if (std::isnan(want_dy)) continue;  // a kink
      EXPECT_NEAR(dy[i], want_dy, kSlopeFloor + kRel * std::abs(want_dy));
      EXPECT_NEAR(dy64[i], want_dy, 1e-12 + 1e-9 * std::abs(want_dy));
    }
    checked.insert(key.first);
  }
  EXPECT_EQ(checked, (std::set<std::string>{"relu", "leaky_relu", "elu", "sigmoid", "tanh", "silu",
                                            "swish", "mish", "softplus", "gelu_sigmoid"}));
}

// Every formula of every config under tests/ and configs/ (with its learnable parameters, if any),
// through the float64 finite-difference harness: a new formula in a config is checked without a
// test of its own.
TEST(FormulaActivation, EveryFormulaInTheConfigsPassesTheFiniteDifferenceCheck) {
  std::size_t formulas = 0;
  for (const std::string& root : {test::test_path(""), test::test_path("../configs")}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.path().extension() != ".yaml") continue;
      const std::string text = text_of(entry.path().string());
      if (text.find("\nactivations:") == std::string::npos && text.rfind("activations:", 0) != 0)
        continue;
      SCOPED_TRACE(entry.path().string());
      // A study's definitions are those of its base; the sweep does not change them.
      YAML::Node root_node = YAML::Load(text);
      root_node.remove("sweep");
      root_node.remove("zip");
      const ExperimentConfig config = parse_config(root_node, entry.path().string());
      for (const auto& [name, definition] : config.activations) {
        SCOPED_TRACE(name);
        auto layer = make_activation_layer<double>(named(config, name), 5);
        const auto result = test::check_layer_gradients(*layer, {.training = true});
        EXPECT_LT(result.max_input_error, 1e-6);
        EXPECT_LT(result.max_parameter_error, 1e-6);
        EXPECT_EQ(result.parameters_checked > 0, !definition.learnable.empty());
        ++formulas;
      }
    }
  }
  EXPECT_GE(formulas, 20u);  // pytorch_forms.yaml, new_activations.yaml, the fuzz seed
}

TEST(FormulaActivation, PropertiesComeFromTheGrid) {
  const ExperimentConfig forms = load_forms();
  // A formula layer's entry describes its own program: the layers stay alive while it is read.
  std::vector<std::unique_ptr<Layer<float>>> layers;
  auto info = [&](const std::string& name) -> const ActivationInfo& {
    layers.push_back(make_activation_layer<float>(named(forms, name), 1));
    return *layer_activation_info(*layers.back());
  };
  const ActivationInfo& relu = info("formula_relu");
  const ActivationInfo& native = find_activation("relu");
  EXPECT_EQ(relu.properties.dead_zone, native.properties.dead_zone);
  EXPECT_EQ(relu.properties.output_range, native.properties.output_range);
  EXPECT_EQ(relu.properties.saturates, native.properties.saturates);
  EXPECT_EQ(relu.properties.monotonic, native.properties.monotonic);
  EXPECT_EQ(relu.properties.smooth, native.properties.smooth);
  EXPECT_EQ(relu.properties.zero_centred, native.properties.zero_centred);

  const ActivationInfo& sigmoid = info("formula_sigmoid");
  EXPECT_EQ(sigmoid.properties.output_range, "(0, 1)");
  EXPECT_EQ(sigmoid.properties.saturates, Saturation::kBoth);
  EXPECT_TRUE(sigmoid.properties.smooth);
  EXPECT_TRUE(sigmoid.properties.dead_zone.empty());

  const ActivationInfo& tanh = info("formula_tanh");
  EXPECT_TRUE(tanh.properties.zero_centred);
  EXPECT_EQ(tanh.properties.output_range, "(-1, 1)");
  const ActivationInfo& mish = info("formula_mish");
  EXPECT_FALSE(mish.properties.monotonic);
  EXPECT_EQ(mish.properties.saturates, Saturation::kNegative);
  const ActivationInfo& squareplus = info("squareplus");
  EXPECT_EQ(squareplus.properties.output_range, "(0, inf)");
  EXPECT_TRUE(squareplus.properties.monotonic);
}

// ---- In a real run -------------------------------------------------------------------------

DataSplits small_data() {
  Dataset d;
  d.name = "formula_test";
  d.features = 12;
  d.classes = 3;
  Rng rng(5);
  for (std::size_t i = 0; i < 48; ++i) {
    for (std::size_t f = 0; f < d.features; ++f)
      d.pixels.push_back(static_cast<std::uint8_t>(rng.uniform() * 255));
    d.labels.push_back(static_cast<std::int32_t>(i % 3));
  }
  DataSplits splits{d, d, d, {}};
  splits.normalizer.scale = 1.0f / 64;
  splits.normalizer.shift = -2.0f;
  return splits;
}

std::string probes_of_a_run(const ActivationConfig& activation, const std::string& tag) {
  const DataSplits data = small_data();
  ExperimentConfig config;
  config.name = "formula_probes";
  config.threads = 1;
  config.model.hidden = {16, 16};
  config.model.activation = activation;
  config.optimizer.name = "sgd";
  config.optimizer.learning_rate = 0.5;
  config.train.epochs = 3;
  config.train.batch_size = 16;
  config.train.eval_batch_size = 48;
  config.probes.every_steps = 1;
  config.probes.probe_set_size = 48;
  Trainer trainer(config, data);
  const auto dir = std::filesystem::temp_directory_path() / "actlab_formula_test" / tag;
  std::filesystem::remove_all(dir);
  RunOutput output(dir);
  const RunResult result = trainer.run(&output);
  EXPECT_EQ(result.status, RunStatus::kCompleted) << result.message;
  return text_of(output.path("probes.csv").string());
}

TEST(FormulaActivation, ReluAsAFormulaGivesReluProbeValuesInARealRun) {
  const ExperimentConfig forms = load_forms();
  const std::string native = probes_of_a_run({"relu", {}, nullptr}, "native");
  const std::string formula = probes_of_a_run(named(forms, "formula_relu"), "formula");
  ASSERT_NE(native.find("dead_fraction"), std::string::npos);
  ASSERT_NE(native.find("saturated_fraction"), std::string::npos);
  EXPECT_EQ(formula, native);
}

TEST(FormulaActivation, LearnableParametersAreTrainedAndNamed) {
  const ExperimentConfig forms = load_forms();
  for (const std::string name : {"learned_squareplus", "learned_swish_per_unit"}) {
    SCOPED_TRACE(name);
    const DataSplits data = small_data();
    ExperimentConfig config;
    config.name = "formula_learned";
    config.threads = 1;
    config.model.hidden = {8};
    config.model.activation = named(forms, name);
    config.optimizer.name = "sgd";
    config.optimizer.learning_rate = 0.5;
    config.train.epochs = 2;
    config.train.batch_size = 16;
    config.train.eval_batch_size = 48;
    Trainer trainer(config, data);
    std::map<std::string, std::vector<float>> before;
    for (const auto& p : trainer.network().named_parameters())
      if (p.tensor != "weight" && p.tensor != "bias")
        before[p.name].assign(p.value.data, p.value.data + p.value.size());
    ASSERT_FALSE(before.empty());
    const auto dir = std::filesystem::temp_directory_path() / "actlab_formula_test" / name;
    std::filesystem::remove_all(dir);
    RunOutput output(dir);
    EXPECT_EQ(trainer.run(&output).status, RunStatus::kCompleted);
    for (const auto& p : trainer.network().named_parameters()) {
      if (!before.count(p.name)) continue;
      const std::vector<float> after(p.value.data, p.value.data + p.value.size());
      EXPECT_NE(after, before[p.name]) << p.name << " was not trained";
      if (name == std::string("learned_swish_per_unit")) {
        EXPECT_EQ(after.size(), 8u);
      }
    }
  }
}

}  // namespace
}  // namespace actlab
