#include "actlab/train/trainer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "actlab/train/run_output.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

// A small configuration on the tiny fixture data set (data/fixtures/tiny), seconds to train.
ExperimentConfig tiny_config() {
  ExperimentConfig c;
  c.name = "tiny";
  c.seed = 3;
  c.threads = 1;
  c.data.dataset = "idx";
  c.data.path = test::test_path("../data/fixtures/tiny");
  c.data.validation_size = 100;
  c.model.hidden = {32, 32};
  c.model.activation = {"relu", {}};
  c.optimizer.name = "sgd";
  c.optimizer.learning_rate = 0.05;
  c.optimizer.momentum = 0.9;
  c.train.epochs = 4;
  c.train.batch_size = 32;
  c.train.eval_batch_size = 64;
  return c;
}

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "actlab_trainer_test" / name;
  std::filesystem::remove_all(dir);
  return dir;
}

// metrics.jsonl without the fields that measure time.
std::vector<nlohmann::json> metrics_without_timing(const std::filesystem::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    j.erase("seconds");
    j.erase("samples_per_second");
    lines.push_back(j);
  }
  return lines;
}

TEST(Trainer, LossFallsAndTheModelLearnsTheTinyDataSet) {
  const ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  Trainer trainer(config, data);
  const RunResult result = trainer.run();
  ASSERT_EQ(result.status, RunStatus::kCompleted) << result.message;
  ASSERT_EQ(result.epochs.size(), 4u);
  EXPECT_LT(result.epochs.back().train_loss, 0.5 * result.epochs.front().train_loss);
  EXPECT_GT(result.epochs.back().test.accuracy, 0.8);  // chance is 0.1
  EXPECT_GT(result.epochs.back().validation.accuracy, 0.8);
  const std::size_t steps_per_epoch = (data.train.size() + 31) / 32;
  EXPECT_EQ(result.steps, 4 * steps_per_epoch);
}

TEST(Trainer, SameConfigSeedAndThreadsGiveBitIdenticalMetrics) {
  const ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  std::vector<std::vector<nlohmann::json>> runs;
  for (int i = 0; i < 2; ++i) {
    RunOutput output(fresh_dir("determinism" + std::to_string(i)));
    Trainer trainer(config, data);
    ASSERT_EQ(trainer.run(&output).status, RunStatus::kCompleted);
    runs.push_back(metrics_without_timing(output.path("metrics.jsonl")));
  }
  ASSERT_EQ(runs[0].size(), 4u);
  EXPECT_EQ(runs[0], runs[1]);  // exact: doubles serialise with full round-trip precision
}

TEST(Trainer, ProbesNeverChangeTrainingResults) {
  std::vector<std::vector<nlohmann::json>> runs;
  for (bool enabled : {true, false}) {
    ExperimentConfig config = tiny_config();
    config.probes.enabled = enabled;
    config.probes.every_steps = 3;
    config.probes.probe_set_size = 200;
    const DataSplits data = load_data(config.data, config.seed);
    RunOutput output(fresh_dir(enabled ? "probes_on" : "probes_off"));
    Trainer trainer(config, data);
    ASSERT_EQ(trainer.run(&output).status, RunStatus::kCompleted);
    auto lines = metrics_without_timing(output.path("metrics.jsonl"));
    for (auto& line : lines)
      for (const char* key :
           {"vanishing_ratio", "grad_norm_slope", "max_dead_fraction", "mean_saturated_fraction",
            "dead_fraction_by_layer", "grad_norm_by_layer"})
        line.erase(key);
    runs.push_back(lines);
    EXPECT_EQ(std::filesystem::exists(output.path("probes.csv")), enabled);
  }
  EXPECT_EQ(runs[0], runs[1]);
}

TEST(Trainer, ADifferentSeedGivesDifferentResults) {
  ExperimentConfig a = tiny_config(), b = tiny_config();
  b.seed = 4;
  const DataSplits data_a = load_data(a.data, a.seed), data_b = load_data(b.data, b.seed);
  Trainer ta(a, data_a), tb(b, data_b);
  EXPECT_NE(ta.run().epochs.back().train_loss, tb.run().epochs.back().train_loss);
}

TEST(Trainer, NonFiniteLossStopsTheRunAsDiverged) {
  ExperimentConfig config = tiny_config();
  config.optimizer.learning_rate = 1e8;
  config.optimizer.momentum = 0;
  const DataSplits data = load_data(config.data, config.seed);
  Trainer trainer(config, data);
  const RunResult result = trainer.run();
  ASSERT_EQ(result.status, RunStatus::kDiverged);
  EXPECT_NE(result.message.find("diverged at step"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("layer"), std::string::npos) << result.message;
  EXPECT_EQ(result.summary()["status"], "diverged");
  // Nothing was trained on NaN: every parameter is still finite.
  for (float p : trainer.network().parameters())
    ASSERT_TRUE(std::isfinite(p));
}

TEST(Trainer, StopRequestEndsTheRunAsInterrupted) {
  const ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  Trainer trainer(config, data);
  std::atomic<bool> stop{true};
  const RunResult result = trainer.run(nullptr, &stop);
  EXPECT_EQ(result.status, RunStatus::kInterrupted);
  EXPECT_EQ(result.steps, 0u);
}

TEST(Trainer, MetricsFileHasOneJsonObjectPerEpoch) {
  const ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  RunOutput output(fresh_dir("metrics"));
  Trainer trainer(config, data);
  trainer.run(&output);
  const auto lines = metrics_without_timing(output.path("metrics.jsonl"));
  ASSERT_EQ(lines.size(), 4u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["epoch"], i + 1);
    for (const char* key :
         {"train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss",
          "test_accuracy", "learning_rate", "grad_norm_mean"})
      EXPECT_TRUE(lines[i][key].is_number()) << key;
  }
}

}  // namespace
}  // namespace actlab
