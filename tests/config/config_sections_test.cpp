// The config sections' field lists drive both parsing and emitting: these tests check that the two
// agree for every key the lists name, and that the resolved YAML of the shipped configurations (and
// so their digests) is what it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/config/field_writer.hpp"
#include "actlab/experiment/sweep.hpp"

namespace actlab {
namespace {

// Every leaf key of the field lists, as a key path, with the YAML the writer gives its value
// ("(not written)" where a condition or an unset optional leaves it out).
class FieldSnapshot {
 public:
  template <class T, class... Rules>
  void operator()(const std::string& key, const T& value, const Rules&... rules) {
    const std::string path = prefix_ + key;
    if constexpr (ConfigSection<T>) {
      FieldSnapshot nested;
      nested.prefix_ = path + ".";
      SectionFields<T>::visit(value, nested);
      values.insert(nested.values.begin(), nested.values.end());
    } else {
      FieldWriter writer;
      writer(key, value, rules...);
      const YAML::Node written = writer.node()[key];
      values[path] = written.IsDefined() ? YAML::Dump(written) : "(not written)";
    }
  }

  std::map<std::string, std::string> values;

 private:
  std::string prefix_;
};

std::map<std::string, std::string> snapshot(const ExperimentConfig& config) {
  FieldSnapshot fields;
  SectionFields<ExperimentConfig>::visit(config, fields);
  return fields.values;
}

// parse → emit → parse: the same configuration, the same resolved YAML, the same digest.
void expect_round_trip(const ExperimentConfig& config, const std::string& what) {
  const YAML::Node emitted = to_yaml(config);
  const ExperimentConfig again = parse_config(emitted, "resolved " + what);
  EXPECT_TRUE(again == config) << what << "\n" << YAML::Dump(emitted);
  EXPECT_EQ(YAML::Dump(to_yaml(again)), YAML::Dump(emitted)) << what;
  EXPECT_EQ(config_digest(again), config_digest(config)) << what;
}

// Between them, every key of every section set to a value other than its default; every activation
// parameter and the optimizer's eps are given, so that the resolved YAML adds nothing.
const std::vector<std::string>& configs_setting_every_key() {
  static const std::vector<std::string> configs = {
      R"(
name: every_key
seed: 7
threads: 3
target_accuracy: 0.9
data: {dataset: spiral, path: /tmp/points, validation_size: 50, train_subset: 300,
       test_subset: 100, normalization: standardize, points: 600, noise: 0.2}
model:
  hidden: [12, 6]
  activation: {name: leaky_relu, alpha: 0.2}
  init: {name: normal, std: 0.05}
  bias_init: 0.1
optimizer: {name: adamw, learning_rate: 0.002, momentum: 0.5, dampening: 0.25,
            weight_decay: 0.02, betas: [0.8, 0.95], eps: 1.0e-7}
schedule: {name: step, step_epochs: 3, gamma: 0.5, min_lr: 0.001, warmup_steps: 10}
clip: {mode: layer_norm, max_norm: 2.5, norm_type: 1, value: 0.5}
train: {epochs: 9, batch_size: 32, label_smoothing: 0.1, eval_batch_size: 512,
        early_stopping: {patience: 2, min_delta: 0.01}}
probes: {enabled: false, probe_set_size: 64, every_steps: 7, saturation_epsilon: 0.02,
         dormant_tau: 0.1, warnings: false}
output: {dir: elsewhere}
)",
      R"(
activations:
  squareplus: {formula: (x + sqrt(x^2 + b)) / 2, params: {b: 4.0}, learnable: [b], per_unit: true}
model:
  activation: {name: swish, beta: 1.5, learnable: true, per_unit: true}
  layers:
    - {linear: 16}
    - {batchnorm: {momentum: 0.2, eps: 1.0e-4, affine: false}}
    - {activation: {name: elu, alpha: 0.5}}
    - {dropout: 0.25}
    - {residual: {width: 16, activation: {name: gelu}, norm: {layernorm: {eps: 1.0e-3, affine: true}}}}
    - {residual: {activation: {name: tanh}, norm: none}}
    - {layernorm: {eps: 1.0e-6, affine: true}}
    - {linear: 8}
    - {activation: {name: swish, beta: 1.5, learnable: true, per_unit: true}}
    - {squareplus: {b: 2.0}}
optimizer: {name: sgd, momentum: 0.9, nesterov: true, eps: 1.0e-8}
clip: {mode: norm, norm_type: inf}
)",
  };
  return configs;
}

TEST(ConfigSections, EveryKeyRoundTrips) {
  const auto defaults = snapshot(ExperimentConfig{});
  std::set<std::string> changed;
  for (const std::string& text : configs_setting_every_key()) {
    const ExperimentConfig config = parse_config(YAML::Load(text), "every key");
    expect_round_trip(config, text);
    for (const auto& [path, value] : snapshot(config))
      if (value != defaults.at(path)) changed.insert(path);
  }
  // Driven by the field lists: a key added to a section is reported here until a config above sets
  // it.
  for (const auto& [path, value] : defaults)
    EXPECT_TRUE(changed.count(path)) << path << " is never set to a non-default value here";
}

TEST(ConfigSections, EveryVariantRoundTrips) {
  const std::string base = "{name: variant, optimizer: {eps: 1.0e-8}}";
  const std::vector<std::vector<std::string>> variants = {
      {"clip.mode=none"},
      {"clip.mode=norm", "clip.max_norm=5", "clip.norm_type=inf"},
      {"clip.mode=norm", "clip.norm_type=3"},
      {"clip.mode=value", "clip.value=0.1"},
      {"clip.mode=layer_norm", "clip.max_norm=0.5"},
      {"schedule.name=constant"},
      {"schedule.name=step", "schedule.step_epochs=2", "schedule.gamma=0.3"},
      {"schedule.name=cosine", "schedule.min_lr=0.0001", "schedule.warmup_steps=100"},
      {"optimizer.name=sgd", "optimizer.momentum=0.9", "optimizer.dampening=0.1"},
      {"optimizer.name=adam", "optimizer.weight_decay=0.001"},
      {"optimizer.name=adamw"},
      {"optimizer.name=adabelief", "optimizer.eps=1.0e-16"},
      {"data.dataset=xor", "data.points=200"},
      {"data.dataset=mnist-10k"},
      {"data.dataset=idx", "data.path=/tmp/idx"},
      {"model.init=xavier_uniform"},
      {"model.layers=[]"},
  };
  for (const auto& overrides : variants) {
    YAML::Node root = YAML::Load(base);
    for (const auto& assignment : overrides)
      apply_override(root, assignment);
    expect_round_trip(parse_config(root, "variant"), YAML::Dump(root));
  }
}

// Every shipped configuration, each study cell included. The resolved YAML fills in defaults (the
// optimizer's eps, every activation parameter), so from there on it is a fixed point.
TEST(ConfigSections, ShippedConfigsRoundTrip) {
  const std::filesystem::path folder = std::filesystem::path(ACTLAB_TEST_DIR) / ".." / "configs";
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.path().extension() != ".yaml") continue;
    std::vector<ExperimentConfig> configs;
    if (is_study_file(entry.path(), {})) {
      for (const StudyCell& cell : load_study(entry.path()).cells)
        configs.push_back(cell.config);
    } else {
      configs.push_back(load_config(entry.path()));
    }
    for (const ExperimentConfig& config : configs) {
      const ExperimentConfig resolved = parse_config(to_yaml(config), "resolved");
      EXPECT_EQ(config_digest(resolved), config_digest(config)) << entry.path();
      expect_round_trip(resolved, entry.path().string());
      ++checked;
    }
  }
  EXPECT_GT(checked, 20u);
}

// Runs and checkpoints record this digest: it must not change when the config code does.
TEST(ConfigSections, QuickstartDigestIsPinned) {
  const std::filesystem::path quickstart =
      std::filesystem::path(ACTLAB_TEST_DIR) / ".." / "configs" / "quickstart.yaml";
  EXPECT_EQ(config_digest(load_config(quickstart)), "c82af01272246f9b");
}

// A refusal names every key that differs (issue 30), not only the first: a user who changed two
// things learns both. Past eight, the rest are counted.
TEST(ConfigSections, ConfigDifferenceNamesEveryDifferingKey) {
  ExperimentConfig before;
  before.optimizer.learning_rate = 0.05;
  before.train.epochs = 2;
  ExperimentConfig now = before;
  now.optimizer.learning_rate = 0.5;
  now.train.epochs = 3;
  now.model.hidden = {32, 16};
  const std::string difference =
      config_difference(training_fingerprint(before), training_fingerprint(now));
  for (const char* named : {"optimizer.learning_rate is 0.05 before, 0.5 now",
                            "train.epochs is 2 before, 3 now", "model.hidden is "})
    EXPECT_NE(difference.find(named), std::string::npos) << named << " in: " << difference;
  EXPECT_EQ(difference.find("more"), std::string::npos) << difference;
  EXPECT_EQ(config_difference(training_fingerprint(now), training_fingerprint(now)), "");

  std::string many_before, many_now;
  for (int key = 0; key < 11; ++key) {
    // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string.
    const std::string name = 'k' + std::to_string(key);
    many_before.append(name).append(": 1\n");
    many_now.append(name).append(": 2\n");
  }
  const std::string capped = config_difference(many_before, many_now);
  EXPECT_NE(capped.find("k7 is 1 before, 2 now"), std::string::npos) << capped;
  EXPECT_EQ(capped.find("k8 is"), std::string::npos) << capped;
  EXPECT_NE(capped.find("and 3 more"), std::string::npos) << capped;
}

}  // namespace
}  // namespace actlab
