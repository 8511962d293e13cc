#include "actlab/config/experiment_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "actlab/core/error.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

// Writes `yaml` to a fresh file named after the running test and returns its path.
std::filesystem::path write_config(const std::string& yaml) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::temp_directory_path() / "actlab_config_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / (std::string(info->name()) + ".yaml");
  std::ofstream(path) << yaml;
  return path;
}

// The message of the ConfigError that loading `yaml` throws.
std::string error_for(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  const auto path = write_config(yaml);
  try {
    load_config(path, overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << yaml;
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(ExperimentConfig, DefaultsAndValuesAreRead) {
  const auto path = write_config(R"(
name: demo
seed: 7
model:
  hidden: [64, 32]
  activation: {name: relu}
  init: xavier_uniform
optimizer:
  name: sgd
  learning_rate: 0.1
  momentum: 0.9
  nesterov: true
train:
  epochs: 3
  batch_size: 32
clip:
  mode: norm
  max_norm: 5
  norm_type: inf
)");
  const ExperimentConfig c = load_config(path);
  EXPECT_EQ(c.name, "demo");
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.model.hidden, (std::vector<std::size_t>{64, 32}));
  EXPECT_EQ(c.model.activation.name, "relu");
  EXPECT_EQ(c.model.init.kind, Initializer::kXavierUniform);
  EXPECT_DOUBLE_EQ(c.optimizer.learning_rate, 0.1);
  EXPECT_TRUE(c.optimizer.nesterov);
  EXPECT_EQ(c.train.epochs, 3u);
  EXPECT_EQ(c.clip.mode, ClipMode::kNorm);
  EXPECT_TRUE(std::isinf(c.clip.norm_type));
  EXPECT_EQ(c.data.dataset, "fashion-mnist");
  EXPECT_EQ(c.train.eval_batch_size, 2048u);
}

TEST(ExperimentConfig, ResolvedConfigRoundTrips) {
  const auto path =
      write_config("name: rt\nmodel: {hidden: [8], init: {name: normal, std: 0.5}}\n");
  const ExperimentConfig c = load_config(path);
  const ExperimentConfig again = parse_config(to_yaml(c), "resolved");
  EXPECT_EQ(YAML::Dump(to_yaml(c)), YAML::Dump(to_yaml(again)));
  EXPECT_DOUBLE_EQ(again.model.init.std, 0.5);
}

TEST(ExperimentConfig, OverridesReplaceAndCreateKeys) {
  const auto path = write_config("name: o\noptimizer: {learning_rate: 0.1}\n");
  const ExperimentConfig c =
      load_config(path, {"optimizer.learning_rate=0.5", "model.hidden=[3, 4]", "train.epochs=2"});
  EXPECT_DOUBLE_EQ(c.optimizer.learning_rate, 0.5);
  EXPECT_EQ(c.model.hidden, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(c.train.epochs, 2u);
}

TEST(ExperimentConfig, SyntaxErrorNamesFileLineAndColumn) {
  const std::string message = error_for("name: x\nmodel:\n  hidden: [1, 2\n");
  expect_contains(message, "SyntaxErrorNamesFileLineAndColumn.yaml:");
  expect_contains(message, "YAML syntax error");
}

TEST(ExperimentConfig, UnknownKeySuggestsTheNearest) {
  const std::string message = error_for("optimizer:\n  learnig_rate: 0.1\n");
  expect_contains(message, "UnknownKeySuggestsTheNearest.yaml:2:3: optimizer.learnig_rate");
  expect_contains(message, "did you mean 'learning_rate'?");
}

TEST(ExperimentConfig, UnknownTopLevelKey) {
  expect_contains(error_for("traim: {epochs: 1}\n"), "did you mean 'train'?");
}

TEST(ExperimentConfig, WrongTypeNamesKeyAndExpectation) {
  const std::string message = error_for("train:\n  batch_size: lots\n");
  expect_contains(message, ":2:15: train.batch_size: expected an integer, got 'lots'");
  expect_contains(error_for("model: {hidden: 5}\n"), "model.hidden: expected a list");
  expect_contains(error_for("model: [1, 2]\n"), "model: expected a mapping");
}

TEST(ExperimentConfig, OutOfRangeValues) {
  expect_contains(error_for("optimizer: {learning_rate: 0}\n"),
                  "optimizer.learning_rate: must be positive");
  expect_contains(error_for("optimizer: {learning_rate: -1}\n"), "must be positive");
  expect_contains(error_for("train: {batch_size: 0}\n"), "train.batch_size: must be at least 1");
  expect_contains(error_for("train: {epochs: -1}\n"), "train.epochs: must be at least 0");
  expect_contains(error_for("model: {hidden: [16, 0]}\n"), "model.hidden[1]: a layer width");
  expect_contains(error_for("clip: {mode: norm, max_norm: 0}\n"),
                  "clip.max_norm: must be positive");
  expect_contains(error_for("train: {label_smoothing: 1.5}\n"), "train.label_smoothing");
  expect_contains(error_for("optimizer: {nesterov: true}\n"), "optimizer.nesterov");
}

TEST(ExperimentConfig, UnknownNamesListTheValidOnes) {
  const std::string activation = error_for("model:\n  activation: rleu\n");
  expect_contains(activation, ":2:15: model.activation: unknown activation 'rleu'");
  expect_contains(activation, "did you mean 'relu'?");
  expect_contains(activation, "valid: ");
  expect_contains(error_for("optimizer: {name: adamm}\n"), "did you mean 'adam'");
  expect_contains(error_for("model: {init: he_norml}\n"), "did you mean 'he_normal'");
  expect_contains(error_for("data: {dataset: fashion}\n"), "unknown dataset 'fashion'");
  expect_contains(error_for("model: {activation: softmax}\n"), "fused into the loss");
}

TEST(ExperimentConfig, ActivationParametersAreValidated) {
  expect_contains(error_for("model: {activation: {name: relu, alpha: 1}}\n"),
                  "takes no parameters");
  expect_contains(error_for("model: {activation: {nam: relu}}\n"), "a map needs 'name'");
}

TEST(ExperimentConfig, BadOverrides) {
  const auto path = write_config("name: o\n");
  EXPECT_THROW(load_config(path, {"no_equals_sign"}), ConfigError);
  expect_contains(error_for("name: o\n", {"train.epocs=3"}), "did you mean 'epochs'?");
  expect_contains(error_for("name: o\n", {"name.x=3"}), "is not a mapping");
}

TEST(ExperimentConfig, MissingFileAndEmptyFile) {
  EXPECT_THROW(load_config("/nonexistent/x.yaml"), ConfigError);
  expect_contains(error_for(""), "the configuration is empty");
}

// ---------------------------------------------------------------------------------------------
// model.layers

TEST(ExperimentConfig, LayerListIsRead) {
  const auto path = write_config(R"(
model:
  activation: tanh
  layers:
    - {linear: 256}
    - {batchnorm: {}}
    - relu
    - {activation: {name: leaky_relu, alpha: 0.2}}
    - {dropout: 0.5}
    - {residual: {width: 256, activation: gelu, norm: layernorm}}
    - {linear: {width: 64}}
    - {layernorm: {eps: 1.0e-3, affine: false}}
    - activation
    - {prelu: {per_unit: true}}
    - dropout
    - {batchnorm: {momentum: 0.05}}
    - residual
    - {residual: {norm: {batchnorm: {momentum: 0.2}}}}
    - {residual: {norm: none, activation: {name: elu, alpha: 0.5}}}
)");
  const ExperimentConfig c = load_config(path);
  ASSERT_TRUE(c.model.layers.has_value());
  const auto& l = *c.model.layers;
  ASSERT_EQ(l.size(), 15u);
  using Kind = LayerSpec::Kind;
  EXPECT_EQ(l[0].kind, Kind::kLinear);
  EXPECT_EQ(l[0].width, 256u);
  EXPECT_EQ(l[1].kind, Kind::kNorm);
  EXPECT_EQ(l[1].norm.kind, NormKind::kBatchNorm);
  EXPECT_DOUBLE_EQ(l[1].norm.momentum, 0.1);  // PyTorch's defaults
  EXPECT_DOUBLE_EQ(l[1].norm.eps, 1e-5);
  EXPECT_TRUE(l[1].norm.affine);
  EXPECT_EQ(l[2].kind, Kind::kActivation);
  EXPECT_EQ(l[2].activation.name, "relu");
  EXPECT_EQ(l[3].activation.name, "leaky_relu");
  EXPECT_EQ(l[3].activation.params, (std::vector<std::pair<std::string, double>>{{"alpha", 0.2}}));
  EXPECT_EQ(l[4].kind, Kind::kDropout);
  EXPECT_DOUBLE_EQ(l[4].dropout, 0.5);
  EXPECT_EQ(l[5].kind, Kind::kResidual);
  EXPECT_EQ(l[5].width, 256u);
  EXPECT_EQ(l[5].activation.name, "gelu");
  EXPECT_EQ(l[5].norm.kind, NormKind::kLayerNorm);
  EXPECT_EQ(l[6].width, 64u);
  EXPECT_EQ(l[7].norm.kind, NormKind::kLayerNorm);
  EXPECT_DOUBLE_EQ(l[7].norm.eps, 1e-3);
  EXPECT_FALSE(l[7].norm.affine);
  EXPECT_EQ(l[8].activation.name, "tanh");  // bare `activation`: model.activation
  EXPECT_EQ(l[9].activation.name, "prelu");
  EXPECT_EQ(l[9].activation.params, (std::vector<std::pair<std::string, double>>{{"per_unit", 1}}));
  EXPECT_DOUBLE_EQ(l[10].dropout, 0.5);  // bare `dropout`: PyTorch's p
  EXPECT_DOUBLE_EQ(l[11].norm.momentum, 0.05);
  EXPECT_EQ(l[12].activation.name, "tanh");  // a bare residual: model.activation, layernorm
  EXPECT_EQ(l[12].norm.kind, NormKind::kLayerNorm);
  EXPECT_EQ(l[12].width, 0u);
  EXPECT_EQ(l[13].norm.kind, NormKind::kBatchNorm);
  EXPECT_DOUBLE_EQ(l[13].norm.momentum, 0.2);
  EXPECT_EQ(l[14].norm.kind, NormKind::kNone);
  EXPECT_EQ(l[14].activation.name, "elu");

  // The resolved form writes the list back and parses to the same configuration.
  const YAML::Node resolved = to_yaml(c);
  EXPECT_FALSE(resolved["model"]["hidden"].IsDefined());
  const ExperimentConfig again = parse_config(resolved, "resolved");
  EXPECT_EQ(YAML::Dump(to_yaml(again)), YAML::Dump(resolved));
  ASSERT_EQ(again.model.layers->size(), 15u);
  EXPECT_EQ((*again.model.layers)[8].activation.name, "tanh");
}

TEST(ExperimentConfig, BareActivationEntriesFollowModelActivationOverrides) {
  const auto path = write_config("model:\n  layers: [{linear: 8}, activation, {residual: {}}]\n");
  const ExperimentConfig c = load_config(path, {"model.activation=gelu"});
  EXPECT_EQ((*c.model.layers)[1].activation.name, "gelu");
  EXPECT_EQ((*c.model.layers)[2].activation.name, "gelu");
  // An empty list is allowed: the output Linear alone.
  EXPECT_TRUE(load_config(write_config("model: {layers: []}\n")).model.layers->empty());
  EXPECT_FALSE(load_config(write_config("model: {hidden: [4]}\n")).model.layers.has_value());
}

TEST(ExperimentConfig, LayersAndHiddenTogetherAreAnError) {
  const std::string message = error_for("model:\n  hidden: [16]\n  layers: [{linear: 16}, relu]\n");
  expect_contains(message, "LayersAndHiddenTogetherAreAnError.yaml:2:11: model.hidden");
  expect_contains(message, "not both");
}

TEST(ExperimentConfig, BadLayerEntriesAreLocated) {
  const std::string unknown = error_for("model:\n  layers:\n    - {linear: 8}\n    - rleu\n");
  expect_contains(unknown, ":4:7: model.layers[1]: unknown layer 'rleu' (did you mean 'relu'?)");
  expect_contains(unknown, "linear, activation, dropout, batchnorm, layernorm, residual, repeat");
  expect_contains(error_for("model:\n  layers:\n    - {batchnrom: {}}\n"),
                  ":3:8: model.layers[0]: unknown layer 'batchnrom' (did you mean 'batchnorm'?)");
  expect_contains(error_for("model: {layers: [linear]}\n"),
                  "model.layers[0].linear: a linear layer needs its width");
  expect_contains(error_for("model: {layers: [{linear: 0}]}\n"),
                  "model.layers[0].linear: a layer width must be between 1");
  expect_contains(error_for("model: {layers: [{linear: wide}]}\n"), "expected a width");
  expect_contains(error_for("model: {layers: [{linear: {widht: 3}}]}\n"), "needs its width");
  expect_contains(error_for("model:\n  layers:\n    - {dropout: 1.5}\n"),
                  ":3:17: model.layers[0].dropout: p must be in [0, 1)");
  // p = 1 drops every unit: all-zero outputs, nothing trains.
  expect_contains(error_for("model:\n  layers:\n    - {dropout: 1}\n"),
                  ":3:17: model.layers[0].dropout: p must be in [0, 1)");
  expect_contains(error_for("model:\n  layers:\n    - {dropout: {p: 1.0}}\n"),
                  ":3:21: model.layers[0].dropout: p must be in [0, 1)");
  expect_contains(error_for("model: {layers: [{dropout: {rate: 0.2}}]}\n"),
                  "model.layers[0].dropout.rate: unknown key");
  expect_contains(error_for("model: {layers: [{batchnorm: {momentum: 2}}]}\n"),
                  "model.layers[0].batchnorm.momentum: must be in [0, 1]");
  expect_contains(error_for("model: {layers: [{layernorm: {momentum: 0.1}}]}\n"),
                  "model.layers[0].layernorm.momentum: unknown key");
  expect_contains(error_for("model: {layers: [{batchnorm: 3}]}\n"), "expected options");
  expect_contains(error_for("model: {layers: [{linear: 4, relu: {}}]}\n"),
                  "model.layers[0]: expected one layer");
  expect_contains(error_for("model: {layers: {linear: 4}}\n"),
                  "model.layers: expected a list of layers");
  expect_contains(error_for("model: {layers: [{leaky_relu: {alhpa: 0.2}}]}\n"), "alhpa");
  expect_contains(error_for("model: {layers: [{activation: {name: elu, alpha: -1}}]}\n"),
                  "model.layers[0].activation");
}

TEST(ExperimentConfig, RepeatWritesItsLayersOutTimesInARow) {
  const auto path = write_config(R"(
model:
  layers:
    - {linear: 8}
    - {repeat: {times: 3, layers: [batchnorm, relu, {residual: {norm: none}}]}}
    - {repeat: {times: 2, layers: [{repeat: {times: 2, layers: [tanh]}}, {linear: 4}]}}
)");
  const ExperimentConfig c = load_config(path);
  const auto& l = *c.model.layers;
  ASSERT_EQ(l.size(), 1u + 3 * 3 + 2 * 3);
  using Kind = LayerSpec::Kind;
  for (std::size_t t = 0; t < 3; ++t) {
    EXPECT_EQ(l[1 + 3 * t].norm.kind, NormKind::kBatchNorm) << t;
    EXPECT_EQ(l[2 + 3 * t].activation.name, "relu") << t;
    EXPECT_EQ(l[3 + 3 * t].kind, Kind::kResidual) << t;
    EXPECT_EQ(l[3 + 3 * t].norm.kind, NormKind::kNone) << t;
  }
  for (std::size_t t = 0; t < 2; ++t) {  // nested: tanh, tanh, linear 4; twice
    EXPECT_EQ(l[10 + 3 * t].activation.name, "tanh") << t;
    EXPECT_EQ(l[11 + 3 * t].activation.name, "tanh") << t;
    EXPECT_EQ(l[12 + 3 * t].width, 4u) << t;
  }
  // The resolved configuration holds the list written out, with no repeat left.
  const YAML::Node resolved = to_yaml(c);
  EXPECT_EQ(resolved["model"]["layers"].size(), l.size());
  EXPECT_EQ(parse_config(resolved, "resolved").model.layers->size(), l.size());
}

TEST(ExperimentConfig, BadRepeatsAreLocated) {
  expect_contains(error_for("model:\n  layers:\n    - {repeat: {layers: [relu]}}\n"),
                  ":3:16: model.layers[0].repeat: a repeat needs its count, times: N");
  expect_contains(error_for("model: {layers: [{repeat: {times: 0, layers: [relu]}}]}\n"),
                  "model.layers[0].repeat.times: must be between 1 and 10000");
  expect_contains(error_for("model: {layers: [{repeat: {times: 2}}]}\n"),
                  "model.layers[0].repeat.layers: expected the list of layers to repeat");
  expect_contains(error_for("model: {layers: [{repeat: [relu]}]}\n"),
                  "model.layers[0].repeat: expected {repeat: {times: N, layers: [...]}}");
  expect_contains(error_for("model: {layers: [{repeat: {times: 2, layers: [relu], n: 1}}]}\n"),
                  "model.layers[0].repeat.n: unknown key");
  // Errors inside are located at the entry as written, whichever copy finds them.
  expect_contains(error_for("model:\n  layers:\n    - {repeat: {times: 2, layers: [rleu]}}\n"),
                  ":3:36: model.layers[0].repeat.layers[0]: unknown layer 'rleu'");
  // Widths are followed across copies: the second residual block sees the Linear's 4 units.
  expect_contains(
      error_for("model: {layers: [{linear: 8}, {repeat: {times: 2, layers: [{residual: {width: "
                "8}}, {linear: 4}]}}]}\n"),
      "model.layers[1].repeat.layers[0].residual.width: the block keeps its input's width, 4");
  // Nested repeats multiply; the expanded list is bounded.
  expect_contains(
      error_for("model: {layers: [{repeat: {times: 1000, layers: [{repeat: {times: 1000, "
                "layers: [relu]}}]}}]}\n"),
      "more than 10000 layers after expanding repeats");
}

TEST(ExperimentConfig, LayerWidthsAreCheckedWhenKnown) {
  expect_contains(
      error_for("model:\n  layers:\n    - {linear: 8}\n    - {residual: {width: 16}}\n"),
      ":4:26: model.layers[1].residual.width: the block keeps its input's width, 8");
  expect_contains(error_for("model:\n  layers:\n    - {linear: 7}\n    - glu\n"),
                  ":4:7: model.layers[1]: glu halves its input, which must then have an even "
                  "number of units; it gets 7");
  // 6 → glu → 3 units, odd: a residual block with glu inside cannot halve them.
  expect_contains(error_for("model: {layers: [{linear: 6}, glu, {residual: {activation: glu}}]}\n"),
                  "the block's width is 3");
  expect_contains(error_for("model: {layers: [{residual: {norm: groupnorm}}]}\n"),
                  "model.layers[0].residual.norm: unknown norm 'groupnorm'");
  expect_contains(error_for("model: {layers: [{residual: {widht: 3}}]}\n"),
                  "model.layers[0].residual.widht: unknown key");
}

// The README's layer-list example stays valid, and builds a network (784 inputs, 10 classes).
TEST(ExperimentConfig, TheLayersExampleConfigLoadsAndBuilds) {
  const ExperimentConfig c = load_config(test::test_path("../configs/layers.yaml"));
  ASSERT_TRUE(c.model.layers.has_value());
  EXPECT_EQ(c.optimizer.name, "adabelief");
  MlpSpec spec;
  spec.layers = c.model.layers;
  spec.activation = c.model.activation;
  const auto network = build_mlp<float>(spec);
  EXPECT_EQ(network.layer_count(), c.model.layers->size() + 1);
  EXPECT_EQ(network.output_size(), 10u);
}

TEST(ExperimentConfig, AdaBeliefAndItsEps) {
  const ExperimentConfig c = load_config(write_config("optimizer: {name: adabelief}\n"));
  EXPECT_EQ(c.optimizer.name, "adabelief");
  EXPECT_FALSE(c.optimizer.eps.has_value());
  EXPECT_EQ(to_yaml(c)["optimizer"]["eps"].as<double>(), 1e-16);  // resolved: the default
  const ExperimentConfig a = load_config(write_config("optimizer: {name: adam}\n"));
  EXPECT_EQ(to_yaml(a)["optimizer"]["eps"].as<double>(), 1e-8);
  const ExperimentConfig e =
      load_config(write_config("optimizer: {name: adabelief, eps: 1e-12}\n"));
  EXPECT_EQ(*e.optimizer.eps, 1e-12);
  expect_contains(error_for("optimizer: {name: adabelief, eps: 0}\n"),
                  "optimizer.eps: must be positive");
}

TEST(ExperimentConfig, Mnist10kHoldsOutAThousandForValidationByDefault) {
  EXPECT_EQ(load_config(write_config("data: {dataset: mnist-10k}\n")).data.validation_size, 1000u);
  EXPECT_EQ(load_config(write_config("data: {dataset: fashion-mnist}\n")).data.validation_size,
            5000u);
  EXPECT_EQ(load_config(write_config("data: {dataset: mnist-10k, validation_size: 0}\n"))
                .data.validation_size,
            0u);
}

}  // namespace
}  // namespace actlab

namespace actlab {
namespace {

// The generated 2-d data sets: their keys, a default validation split that fits 1000 points, and
// located errors for their keys elsewhere or out of range.
TEST(ExperimentConfig, GeneratedDataSetKeys) {
  const auto path = write_config("data: {dataset: spiral, points: 400, noise: 0.2}\n");
  const ExperimentConfig config = load_config(path);
  EXPECT_EQ(config.data.points, 400u);
  EXPECT_DOUBLE_EQ(config.data.noise, 0.2);
  EXPECT_EQ(config.data.validation_size, 200u);
  expect_contains(error_for("data: {dataset: fashion-mnist, points: 400}\n"),
                  "data.points: applies to the generated data sets");
  expect_contains(error_for("data: {dataset: xor, noise: 2}\n"), "data.noise");
  expect_contains(error_for("data: {dataset: xor, points: 1}\n"), "data.points");
}

// The YAML is read strictly: a key given twice is refused with both places named, since yaml-cpp
// keeps both entries and a lookup would silently take the first.
TEST(ExperimentConfig, DuplicateKeysAreRefusedNamingBothPlaces) {
  const std::string key = error_for("optimizer:\n  learning_rate: 0.05\n  learning_rate: 0.5\n");
  expect_contains(key,
                  "DuplicateKeysAreRefusedNamingBothPlaces.yaml:3:3: optimizer.learning_rate: "
                  "given twice (first at ");
  expect_contains(key, "DuplicateKeysAreRefusedNamingBothPlaces.yaml:2:3)");
  const std::string section = error_for("train: {epochs: 1}\nseed: 3\ntrain: {epochs: 2}\n");
  expect_contains(section, ".yaml:3:1: train: given twice (first at ");
  expect_contains(section, ".yaml:1:1)");
  expect_contains(error_for("seed: 7\nseed: 8\n"), ".yaml:2:1: seed: given twice");
  expect_contains(error_for("name: x\n", {"train={epochs: 1, epochs: 2}"}),
                  "--set train={epochs: 1, epochs: 2}: train.epochs: given twice");
}

// An alias refers to its anchor's node, which may hold the alias itself: the duplicate-key check
// visits each node once rather than recursing for ever.
TEST(ExperimentConfig, ASelfReferentialAliasIsAnErrorNotAHang) {
  expect_contains(error_for("model: {hidden: &widths [16, *widths]}\n"),
                  "model.hidden[1]: expected an integer");
  expect_contains(error_for("train: &t {epochs: 3}\ndata: *t\n"), "data.epochs: unknown key");
}

// An empty value is an error, never the default: in the file, and in a --set.
TEST(ExperimentConfig, EmptyValuesAreRefused) {
  expect_contains(error_for("optimizer:\n  learning_rate:\n"),
                  "optimizer.learning_rate: expected a number, got nothing");
  expect_contains(error_for("seed: 7\n", {"seed="}),
                  "--set seed=: seed: expected an integer, got nothing");
  expect_contains(error_for("optimizer: {learning_rate: 0.05}\n", {"optimizer.learning_rate="}),
                  "--set optimizer.learning_rate=: optimizer.learning_rate: expected a number, got "
                  "nothing");
  expect_contains(error_for("train: {epochs: 2}\n", {"train="}),
                  "--set train=: train: expected a mapping of keys to values, got nothing");
  expect_contains(error_for("model:\n  hidden:\n"),
                  "model.hidden: expected a list of integers, got nothing");
  expect_contains(error_for("model: {activation: ~}\n"),
                  "model.activation: expected a value, got nothing");
  // An unset target accuracy is written as null in the resolved configuration, and reads back.
  EXPECT_FALSE(load_config(write_config("target_accuracy: ~\n")).target_accuracy.has_value());
}

// A value from --set is reported at the override, not at a place in the file that does not hold it.
TEST(ExperimentConfig, OverrideErrorsNameTheOverride) {
  const std::string message = error_for("name: x\n", {"optimizer.learning_rate=.nan"});
  expect_contains(message,
                  "--set optimizer.learning_rate=.nan: optimizer.learning_rate: expected a "
                  "finite number");
  EXPECT_EQ(message.find(":1:1"), std::string::npos) << message;
  expect_contains(error_for("name: x\n", {"model.hidden=[16, -1]"}),
                  "--set model.hidden=[16, -1]: model.hidden[1]: a layer width must be between 1");
  // The file's own values keep their place.
  expect_contains(
      error_for("name: x\noptimizer: {learning_rate: -1}\n", {"seed=3"}),
      "OverrideErrorsNameTheOverride.yaml:2:28: optimizer.learning_rate: must be positive");
}

TEST(ExperimentConfig, TabIndentationIsNamedInTheSyntaxError) {
  const std::string message = error_for("train:\n\tepochs: 1\n");
  expect_contains(message, "TabIndentationIsNamedInTheSyntaxError.yaml:2:");
  expect_contains(message, "line 2 is indented with a tab; YAML indents with spaces only");
  EXPECT_EQ(error_for("model: {hidden: [1, 2}\n").find("tab"), std::string::npos);
}

TEST(ExperimentConfig, CosineMinLrAboveTheLearningRateIsRefused) {
  expect_contains(
      error_for("optimizer: {learning_rate: 0.01}\nschedule: {name: cosine, min_lr: 0.1}\n"),
      ".yaml:2:34: schedule.min_lr: the cosine schedule decays from "
      "optimizer.learning_rate down to min_lr");
  const auto equal =
      write_config("optimizer: {learning_rate: 0.1}\nschedule: {name: cosine, min_lr: 0.1}\n");
  EXPECT_DOUBLE_EQ(load_config(equal).schedule.min_lr, 0.1);
}

}  // namespace
}  // namespace actlab
