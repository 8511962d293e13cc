#include "actlab/train/trainer.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include "actlab/core/error.hpp"
#include "actlab/data/batch.hpp"
#include "actlab/train/checkpoint.hpp"
#include "actlab/train/run_output.hpp"
#include "support/golden.hpp"
#include "support/run_files.hpp"

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

using test::metrics_without_timing;

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

// Layers wide enough, and a batch large enough, that the compute team splits every pass of a step
// (GEMMs, activations, the update and the norms) between `threads` members.
void wide_enough_to_split(ExperimentConfig& config, int threads) {
  config.threads = threads;
  config.model.hidden = {256, 256};
  config.train.batch_size = 64;
}

// On a compute team every pass of a step is split between threads, or, for a narrow network, each
// thread runs its own rows of the batch through the whole network: either way a given thread count
// must still give the same bits on every run, and differ from one thread only by float rounding.
TEST(Trainer, OnAComputeTeamRunsRepeatBitForBitAndAgreeWithOneThread) {
  for (const std::vector<std::size_t>& hidden :
       {std::vector<std::size_t>{256, 256}, std::vector<std::size_t>{96, 96, 96}}) {
    SCOPED_TRACE(testing::Message() << hidden.size() << " hidden layers of " << hidden[0]
                                    << (hidden[0] <= 128 ? " (steps by rows)" : " (split GEMMs)"));
    std::map<int, std::vector<std::vector<nlohmann::json>>> runs;
    for (const int threads : {1, 2, 2, 3, 3}) {
      ExperimentConfig config = tiny_config();
      wide_enough_to_split(config, threads);
      config.model.hidden = hidden;
      config.model.activation = {"tanh", {}};
      config.train.epochs = 2;
      config.probes.every_steps = 4;
      config.probes.probe_set_size = 200;
      const DataSplits data = load_data(config.data, config.seed);
      RunOutput output(fresh_dir("team" + std::to_string(hidden.size()) + "_" +
                                 std::to_string(threads) + "_" +
                                 std::to_string(runs[threads].size())));
      Trainer trainer(config, data);
      ASSERT_EQ(trainer.run(&output).status, RunStatus::kCompleted);
      runs[threads].push_back(metrics_without_timing(output.path("metrics.jsonl")));
    }
    for (const int threads : {2, 3}) {
      EXPECT_EQ(runs[threads][0], runs[threads][1]) << threads << " threads";
      const nlohmann::json& one = runs[1][0].front();
      const nlohmann::json& team = runs[threads][0].front();
      EXPECT_NEAR(team["train_loss"].get<double>(), one["train_loss"].get<double>(),
                  1e-4 * one["train_loss"].get<double>())
          << threads << " threads";
      EXPECT_NEAR(runs[threads][0].back()["test_accuracy"].get<double>(),
                  runs[1][0].back()["test_accuracy"].get<double>(), 0.03)
          << threads << " threads";
    }
  }
}

// A step given the next step's rows (as Trainer::run gives them) has them gathered by the team's
// members in their idle time; the results are those of steps that gather their own batch, bit for
// bit, also when the rows given are not the ones the next step asks for.
TEST(Trainer, BatchesGatheredAheadTrainAsBatchesGatheredByTheStep) {
  for (const int threads : {1, 2, 3}) {
    ExperimentConfig config = tiny_config();
    wide_enough_to_split(config, threads);
    const DataSplits data = load_data(config.data, config.seed);
    Trainer ahead(config, data), by_step(config, data);
    std::vector<std::uint32_t> order(data.train.size());
    epoch_order(order.size(), 5, 1, order);
    const std::size_t batch = config.train.batch_size;
    const auto rows = [&](std::size_t b) {
      return std::span<const std::uint32_t>(order.data() + b % (order.size() / batch) * batch,
                                            batch);
    };
    for (std::size_t step = 0; step < 40; ++step) {
      // Every fifth step is told a batch that the next step does not use.
      const std::span<const std::uint32_t> next = rows(step % 5 == 4 ? step + 7 : step + 1);
      const StepResult a = ahead.train_step(rows(step), step, 1, 0.05, next);
      const StepResult b = by_step.train_step(rows(step), step, 1, 0.05);
      ASSERT_EQ(a.loss, b.loss) << threads << " threads, step " << step;
      ASSERT_EQ(a.grad_norm, b.grad_norm) << threads << " threads, step " << step;
    }
    const std::span<const float> pa = ahead.network().parameters();
    const std::span<const float> pb = by_step.network().parameters();
    EXPECT_TRUE(std::equal(pa.begin(), pa.end(), pb.begin(), pb.end())) << threads << " threads";
  }
}

// Without clipping, the trainer sums the gradients for the norms in the update's own pass; with
// clipping it takes the norms first and then steps. The two paths must
// give the same numbers, so clipping by a norm that is never reached must change nothing: the
// same metrics, probe table and parameters, bit for bit.
// With 3 threads both ways a team runs: prelu's learnable slope keeps every GEMM split; with tanh
// and 96-wide layers the steps run by rows, and the update adds the threads' gradient shares
// itself.
TEST(Trainer, NormsSummedDuringTheUpdateEqualNormsThenStep) {
  for (const int threads : {1, 3, -3})
    for (const char* optimizer : {"sgd", "adamw"}) {
      const bool by_rows = threads < 0;
      SCOPED_TRACE(testing::Message()
                   << std::abs(threads) << " threads" << (by_rows ? ", by rows" : ""));
      std::vector<std::vector<nlohmann::json>> metrics;
      std::vector<std::string> probe_tables;
      std::vector<std::vector<float>> parameters;
      for (bool clip : {false, true}) {
        ExperimentConfig config = tiny_config();
        config.optimizer.name = optimizer;
        config.optimizer.learning_rate = optimizer == std::string("sgd") ? 0.05 : 0.003;
        config.optimizer.momentum = optimizer == std::string("sgd") ? 0.9 : 0.0;
        config.model.activation = {"prelu", {}};  // a layer with parameters of its own
        config.train.epochs = 2;
        if (std::abs(threads) > 1) wide_enough_to_split(config, std::abs(threads));
        if (by_rows) {
          config.model.activation = {"tanh", {}};
          config.model.hidden = {96, 96};
        }
        config.probes.every_steps = 3;
        config.probes.probe_set_size = 200;
        if (clip) {
          config.clip.mode = ClipMode::kNorm;
          config.clip.max_norm = 1e30;
        }
        const DataSplits data = load_data(config.data, config.seed);
        RunOutput output(fresh_dir(std::string("fused_") + optimizer + (clip ? "_clip" : "") +
                                   (by_rows ? "_rows" : "") + std::to_string(std::abs(threads))));
        Trainer trainer(config, data);
        ASSERT_EQ(trainer.run(&output).status, RunStatus::kCompleted);
        metrics.push_back(metrics_without_timing(output.path("metrics.jsonl")));
        std::ifstream in(output.path("probes.csv"));
        probe_tables.emplace_back(std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>());
        const auto p = trainer.network().parameters();
        parameters.emplace_back(p.begin(), p.end());
      }
      EXPECT_EQ(metrics[0], metrics[1]) << optimizer;
      EXPECT_EQ(probe_tables[0], probe_tables[1]) << optimizer;
      EXPECT_GT(probe_tables[0].size(), 1000u) << optimizer;
      EXPECT_EQ(parameters[0], parameters[1]) << optimizer;
    }
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

// The tiny configuration with an explicit layer list that uses every new layer.
ExperimentConfig tiny_layers_config() {
  ExperimentConfig c = tiny_config();
  const std::string yaml = R"(
- {linear: 32}
- batchnorm
- relu
- {dropout: 0.2}
- {residual: {activation: gelu, norm: layernorm}}
- {residual: {activation: tanh, norm: batchnorm}}
- layernorm
)";
  YAML::Node root;
  root["model"]["layers"] = YAML::Load(yaml);
  c.model.layers = parse_config(root, "test").model.layers;
  return c;
}

// (step, layer, metric) -> value of a probes.csv, without the epoch column.
std::map<std::tuple<std::string, std::string, std::string>, double> probe_rows(
    const std::filesystem::path& file) {
  std::map<std::tuple<std::string, std::string, std::string>, double> rows;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ','))
      f.push_back(field);
    if (f.size() == 5) f.push_back("");
    rows[{f[1], f[3], f[4]}] = std::stod(f[5]);
  }
  return rows;
}

// train.epochs 0 measures the initial network exactly as step 0 of a training run does: every
// step-0 probe row (activations, dead units, weight and gradient norms, ...) is bit-identical,
// except the update ratio, which needs an update. It writes probes.csv, one metrics line (epoch 0)
// and a summary with the initial evaluation.
TEST(Trainer, InitOnlyRunGivesTheStepZeroProbesOfATrainingRun) {
  ExperimentConfig config = tiny_layers_config();
  config.probes.every_steps = 0;
  const DataSplits data = load_data(config.data, config.seed);

  ExperimentConfig init_only = config;
  init_only.train.epochs = 0;
  RunOutput initial_output(fresh_dir("init_only"));
  Trainer initial(init_only, data);
  const RunResult initial_result = initial.run(&initial_output);
  ASSERT_EQ(initial_result.status, RunStatus::kCompleted);
  EXPECT_EQ(initial_result.steps, 0u);
  EXPECT_TRUE(initial_result.epochs.empty());
  ASSERT_TRUE(initial_result.initial.has_value());

  config.train.epochs = 1;
  RunOutput trained_output(fresh_dir("one_epoch"));
  Trainer trained(config, data);
  ASSERT_EQ(trained.run(&trained_output).status, RunStatus::kCompleted);

  const auto first = probe_rows(initial_output.path("probes.csv"));
  const auto second = probe_rows(trained_output.path("probes.csv"));
  std::size_t compared = 0;
  for (const auto& [key, value] : second) {
    if (std::get<0>(key) != "0" || std::get<2>(key) == "update_ratio") continue;
    ASSERT_TRUE(first.count(key)) << std::get<1>(key) << " " << std::get<2>(key);
    EXPECT_EQ(first.at(key), value) << std::get<1>(key) << " " << std::get<2>(key);
    ++compared;
  }
  EXPECT_GT(compared, 40u);
  EXPECT_TRUE(first.count({"0", "1", "grad_norm_weight"}));
  EXPECT_TRUE(first.count({"0", "5", "dead_fraction"}));  // inside the first residual block

  const auto lines = metrics_without_timing(initial_output.path("metrics.jsonl"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["epoch"], 0);
  EXPECT_EQ(lines[0]["step"], 0);
  // Ten balanced-ish classes and a freshly initialised network: the loss is near ln 10.
  EXPECT_NEAR(lines[0]["test_loss"].get<double>(), std::log(10.0), 1.0);
  const nlohmann::json summary = initial_result.summary();
  EXPECT_EQ(summary["epochs_completed"], 0);
  EXPECT_EQ(summary["initial"]["test_accuracy"], lines[0]["test_accuracy"]);
  // Nothing was updated: the parameters are the initial ones of the training run's network too.
  Trainer fresh(config, data);
  const auto a = initial.network().parameters(), b = fresh.network().parameters();
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
}

// Every new layer in one network, AdaBelief as the optimizer: it learns the tiny data set.
TEST(Trainer, LayerListNetworkWithAdaBeliefLearnsTheTinyDataSet) {
  ExperimentConfig config = tiny_layers_config();
  config.optimizer.name = "adabelief";
  config.optimizer.learning_rate = 3e-3;
  const DataSplits data = load_data(config.data, config.seed);
  Trainer trainer(config, data);
  const RunResult result = trainer.run();
  ASSERT_EQ(result.status, RunStatus::kCompleted) << result.message;
  EXPECT_LT(result.epochs.back().train_loss, 0.5 * result.epochs.front().train_loss);
  EXPECT_GT(result.epochs.back().test.accuracy, 0.8);  // chance is 0.1
  // BatchNorm's running statistics moved during training (they start at 0 and 1).
  const auto state = trainer.network().state();
  ASSERT_FALSE(state.empty());
  EXPECT_TRUE(std::any_of(state.begin(), state.begin() + 32, [](float m) { return m != 0.0f; }));
  // Norm parameters are not reported as activation parameters ("weight"/"bias" in any part).
  for (const auto& [name, value] : result.epochs.back().activation_parameters)
    ADD_FAILURE() << "unexpected activation parameter " << name;
}

// BatchNorm cannot train on a batch of one row; a configuration whose last batch would hold one
// example is rejected before training (500 training examples, batches of 499).
TEST(Trainer, BatchNormRejectsABatchOfOneUpFront) {
  ExperimentConfig config = tiny_layers_config();
  config.train.batch_size = 499;
  const DataSplits data = load_data(config.data, config.seed);
  try {
    Trainer trainer(config, data);
    ADD_FAILURE() << "accepted a batch of one example with batchnorm";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("batchnorm needs at least 2"), std::string::npos)
        << e.what();
  }
  config.model.layers->erase(config.model.layers->begin() + 1);  // no batchnorm layer ...
  config.model.layers->erase(config.model.layers->begin() + 4);  // ... nor block
  EXPECT_NO_THROW(Trainer(config, data));
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Sets `stop` when the trainer logs the end of epoch `epoch` ("epoch 2/4 · ..."): the results of
// that epoch are committed right after, and the flag is read at the next step, so the run stops
// exactly as a kill after that epoch would leave it, at the same point every time.
class StopAfterEpoch : public spdlog::sinks::base_sink<std::mutex> {
 public:
  StopAfterEpoch(std::size_t epoch, std::size_t epochs, std::atomic<bool>& stop)
      : prefix_("epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + " "),
        stop_(stop) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    if (std::string_view(message.payload.data(), message.payload.size()).rfind(prefix_, 0) == 0)
      stop_.store(true);
  }
  void flush_() override {}

 private:
  std::string prefix_;
  std::atomic<bool>& stop_;
};

// Runs `config` into `dir`, stopped after `epoch`.
RunResult run_stopped_after(const ExperimentConfig& config, const DataSplits& data,
                            const std::filesystem::path& dir, std::size_t epoch) {
  std::atomic<bool> stop{false};
  auto sink = std::make_shared<StopAfterEpoch>(epoch, config.train.epochs, stop);
  spdlog::default_logger()->sinks().push_back(sink);
  RunOutput output(dir);
  Trainer trainer(config, data);
  const RunResult result = trainer.run(&output, &stop);
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
  return result;
}

// summary() without the fields that measure time.
nlohmann::json summary_without_timing(const RunResult& result) {
  nlohmann::json j = result.summary();
  j.erase("seconds");
  j.erase("samples_per_second");
  j["final"].erase("seconds");
  j["final"].erase("samples_per_second");
  return j;
}

class TrainerResume : public ::testing::TestWithParam<std::string> {};

// "layers": the layer list with batchnorm (running statistics: network state, saved with the
// parameters), dropout (the layer random stream) and residual blocks, trained with AdaBelief.
TEST_P(TrainerResume, AResumedRunEndsBitIdenticalToAnUninterruptedOne) {
  ExperimentConfig config = GetParam() == "layers" ? tiny_layers_config() : tiny_config();
  config.optimizer.name = GetParam() == "layers" ? "adabelief" : GetParam();
  if (GetParam() == "adam") config.optimizer.learning_rate = 0.002;
  if (GetParam() == "layers") config.optimizer.learning_rate = 0.003;
  config.probes.every_steps = 3;  // measurements inside epochs too
  config.probes.probe_set_size = 100;
  config.schedule.name = "cosine";  // the learning rate depends on the global step
  const DataSplits data = load_data(config.data, config.seed);

  const auto whole_dir = fresh_dir("whole_" + GetParam());
  std::vector<float> whole_parameters;
  RunResult whole;
  {
    RunOutput output(whole_dir);
    Trainer trainer(config, data);
    whole = trainer.run(&output);
    const auto p = trainer.network().parameters();
    whole_parameters.assign(p.begin(), p.end());
  }
  ASSERT_EQ(whole.status, RunStatus::kCompleted);

  const auto dir = fresh_dir("resumed_" + GetParam());
  const RunResult first = run_stopped_after(config, data, dir, 2);
  ASSERT_EQ(first.status, RunStatus::kInterrupted) << first.message;
  ASSERT_EQ(first.epochs.size(), 2u);
  // A kill in the middle of committing epoch 3 would leave the files ahead of the checkpoint.
  std::ofstream(dir / "metrics.jsonl", std::ios::app) << "{\"epoch\": 3}\n";
  std::ofstream(dir / "probes.csv", std::ios::app) << "tiny,999,3,1,dead_fraction,0.5\n";

  RunOutput output(dir);
  Trainer trainer(config, data);
  trainer.resume_from(read_checkpoint(dir / "checkpoint.bin"), output);
  EXPECT_EQ(trainer.completed_epochs(), 2u);
  const RunResult resumed = trainer.run(&output);
  ASSERT_EQ(resumed.status, RunStatus::kCompleted);
  EXPECT_EQ(metrics_without_timing(dir / "metrics.jsonl"),
            metrics_without_timing(whole_dir / "metrics.jsonl"));
  EXPECT_EQ(read_text(dir / "probes.csv"), read_text(whole_dir / "probes.csv"));
  EXPECT_EQ(summary_without_timing(resumed), summary_without_timing(whole));
  const auto p = trainer.network().parameters();
  EXPECT_TRUE(std::equal(p.begin(), p.end(), whole_parameters.begin(), whole_parameters.end()));
}

INSTANTIATE_TEST_SUITE_P(Optimizers, TrainerResume, ::testing::Values("sgd", "adam", "layers"));

TEST(Trainer, ResumeRefusesResultFilesThatDoNotMatchTheCheckpoint) {
  const ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  const auto dir = fresh_dir("mismatched_files");
  ASSERT_EQ(run_stopped_after(config, data, dir, 2).status, RunStatus::kInterrupted);
  std::string metrics = read_text(dir / "metrics.jsonl");
  metrics[metrics.find("\"epoch\":1") + 8] = '7';  // an edited first line
  std::ofstream(dir / "metrics.jsonl", std::ios::binary) << metrics;
  RunOutput output(dir);
  Trainer trainer(config, data);
  try {
    trainer.resume_from(read_checkpoint(dir / "checkpoint.bin"), output);
    FAIL() << "resumed over edited results";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl does not hold the results"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(read_text(dir / "metrics.jsonl"), metrics);  // nothing was changed
}

TEST(Trainer, ResumeRefusesAnotherConfiguration) {
  ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  const auto dir = fresh_dir("other_config");
  ASSERT_EQ(run_stopped_after(config, data, dir, 1).status, RunStatus::kInterrupted);
  config.optimizer.learning_rate = 0.5;
  RunOutput output(dir);
  Trainer trainer(config, data);
  try {
    trainer.resume_from(read_checkpoint(dir / "checkpoint.bin"), output);
    FAIL() << "resumed under another configuration";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("optimizer.learning_rate is 0.05 before, 0.5 now"),
              std::string::npos)
        << e.what();
  }
}

TEST(Trainer, EpochMetricsSurviveTheJsonRoundTrip) {
  ExperimentConfig config = tiny_config();
  config.train.epochs = 2;
  const DataSplits data = load_data(config.data, config.seed);
  RunOutput output(fresh_dir("json_round_trip"));
  Trainer trainer(config, data);
  trainer.run(&output);
  std::istringstream lines(read_text(output.path("metrics.jsonl")));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(EpochMetrics::from_json(j).to_json().dump(), j.dump());
  }
  EXPECT_EQ(count, 2);
}

TEST(Trainer, EarlyStoppingEndsTheRunAndIsRecorded) {
  ExperimentConfig config = tiny_config();
  config.train.epochs = 10;
  // Only the first epoch can beat the best (infinity) by 100: patience 2 stops after epoch 3.
  config.train.early_stopping = {2, 100.0};
  const DataSplits data = load_data(config.data, config.seed);
  const auto dir = fresh_dir("early_stopping");
  RunResult result;
  {
    RunOutput output(dir);
    Trainer trainer(config, data);
    result = trainer.run(&output);
  }
  EXPECT_EQ(result.status, RunStatus::kCompleted);
  EXPECT_EQ(result.epochs.size(), 3u);
  const auto summary = result.summary();
  EXPECT_EQ(summary["stopped_early"], true);
  EXPECT_EQ(summary["early_stopping"]["best_epoch"], 1);
  EXPECT_EQ(summary["early_stopping"]["best_validation_loss"], result.epochs[0].validation.loss);
  // Resumed from the checkpoint of the epoch that stopped it: nothing more is trained.
  RunOutput output(dir);
  Trainer trainer(config, data);
  trainer.resume_from(read_checkpoint(dir / "checkpoint.bin"), output);
  const RunResult again = trainer.run(&output);
  EXPECT_EQ(again.epochs.size(), 3u);
  EXPECT_TRUE(again.stopped_early);
  EXPECT_EQ(again.steps, result.steps);
}

TEST(Trainer, TargetAccuracyEpochIsTheFirstToReachIt) {
  ExperimentConfig config = tiny_config();
  const DataSplits data = load_data(config.data, config.seed);
  Trainer trainer(config, data);
  RunResult result = trainer.run();
  ASSERT_EQ(result.epochs.size(), 4u);
  // A target just above epoch 2's accuracy is first reached by a later epoch, or never.
  const double target = result.epochs[1].test.accuracy;
  result.target_accuracy = target;
  std::size_t expected = 0;
  for (const auto& e : result.epochs)
    if (expected == 0 && e.test.accuracy >= target) expected = e.epoch;
  EXPECT_LE(expected, 2u);
  EXPECT_EQ(result.summary()["epoch_reached_target"], expected);
  result.target_accuracy = 1.5;  // unreachable
  EXPECT_TRUE(result.summary()["epoch_reached_target"].is_null());
}

}  // namespace
}  // namespace actlab
