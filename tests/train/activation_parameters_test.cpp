// Learnable activation parameters (PReLU's α, learnable Swish's β) are logged: each epoch's line
// of metrics.jsonl holds the mean of every learned tensor under its parameter name, and the
// values move as training moves them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

// Two hidden layers on the tiny fixture data set (data/fixtures/tiny), three epochs.
ExperimentConfig learnable_config(const ActivationConfig& activation) {
  ExperimentConfig c;
  c.name = "learnable";
  c.seed = 5;
  c.threads = 1;
  c.data.dataset = "idx";
  c.data.path = test::test_path("../data/fixtures/tiny");
  c.data.validation_size = 100;
  c.model.hidden = {16, 16};
  c.model.activation = activation;
  c.optimizer.name = "sgd";
  c.optimizer.learning_rate = 0.05;
  c.optimizer.momentum = 0.9;
  c.train.epochs = 3;
  c.train.batch_size = 32;
  c.train.eval_batch_size = 64;
  return c;
}

std::vector<nlohmann::json> read_metrics(const std::filesystem::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    lines.push_back(nlohmann::json::parse(line));
  return lines;
}

double mean(const NamedParameter<float>& p) {
  double sum = 0;
  for (std::size_t i = 0; i < p.value.size(); ++i)
    sum += p.value.data[i];
  return sum / static_cast<double>(p.value.size());
}

// Trains with `activation` and checks the two learned tensors named `names` (one per hidden
// layer): every metrics line holds each, the first differs from `initial` (the value before
// training), each epoch's differs from the one before, and the last equals the mean of the
// trained tensor.
void expect_logged_and_moving(const ActivationConfig& activation,
                              const std::vector<std::string>& names, double initial) {
  const ExperimentConfig config = learnable_config(activation);
  const DataSplits data = load_data(config.data, config.seed);
  const auto dir =
      std::filesystem::temp_directory_path() / "actlab_activation_parameters_test" / names[0];
  std::filesystem::remove_all(dir);
  RunOutput output(dir);
  Trainer trainer(config, data);
  for (const auto& p : trainer.network().named_parameters()) {
    if (p.tensor == names[0].substr(names[0].rfind('.') + 1)) {
      EXPECT_DOUBLE_EQ(mean(p), static_cast<float>(initial)) << p.name;
    }
  }
  const RunResult result = trainer.run(&output);
  ASSERT_EQ(result.status, RunStatus::kCompleted) << result.message;

  const std::vector<nlohmann::json> lines = read_metrics(output.path("metrics.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    double before = initial;
    for (const nlohmann::json& line : lines) {
      ASSERT_TRUE(line.contains(name)) << line.dump();
      ASSERT_TRUE(line[name].is_number()) << line.dump();
      const double value = line[name].get<double>();
      EXPECT_GT(std::abs(value - before), 1e-4) << "epoch " << line["epoch"];
      before = value;
    }
    const NamedParameter<float>* trained = nullptr;
    for (const auto& p : trainer.network().named_parameters())
      if (p.name == name) trained = &p;
    ASSERT_NE(trained, nullptr);
    EXPECT_DOUBLE_EQ(lines.back()[name].get<double>(), mean(*trained));
  }
}

TEST(ActivationParameters, PreluSlopesReachMetricsAndMoveDuringTraining) {
  expect_logged_and_moving({"prelu", {}}, {"1.prelu.alpha", "3.prelu.alpha"}, 0.25);
  // One slope per unit: the line holds their mean.
  expect_logged_and_moving({"prelu", {{"per_unit", 1}, {"alpha", 0.1}}},
                           {"1.prelu.alpha", "3.prelu.alpha"}, 0.1);
}

TEST(ActivationParameters, LearnableSwishBetaReachesMetricsAndMovesDuringTraining) {
  expect_logged_and_moving({"swish", {{"learnable", 1}, {"beta", 1.5}}},
                           {"1.swish.beta", "3.swish.beta"}, 1.5);
}

}  // namespace
}  // namespace actlab
