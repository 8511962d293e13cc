#include "actlab/config/experiment_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "actlab/core/error.hpp"

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

}  // namespace
}  // namespace actlab
