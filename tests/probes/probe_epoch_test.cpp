// What the probes say beyond a single step, checked against computations of the test's own: the
// epoch mean/max rows against the per-step rows of the same run, update_ratio against the weights
// read before and after each update, and the three warnings (dead units, vanishing and exploding
// gradients) in runs that provoke them and in runs that must stay silent.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/nn/activation.hpp"
#include "actlab/nn/linear.hpp"
#include "actlab/probes/probes.hpp"
#include "actlab/train/trainer.hpp"
#include "probes/random_dataset.hpp"

namespace actlab {
namespace {

DataSplits random_splits(std::size_t n, std::size_t features) {
  const Dataset d = random_dataset(n, features, 5);
  return {d, d, d, {}};
}

// One row of probes.csv.
struct ProbeRow {
  std::size_t step = 0, epoch = 0;
  std::string layer, metric;
  double value = 0;
};

std::vector<ProbeRow> parse_rows(const std::string& csv) {
  std::vector<ProbeRow> rows;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ','))
      f.push_back(field);
    rows.push_back(
        {std::stoul(f.at(1)), std::stoul(f.at(2)), f.at(3), f.at(4), std::stod(f.at(5))});
  }
  return rows;
}

// The values of `metric` at `layer` in `epoch`, in the order of the table.
std::vector<double> values(const std::vector<ProbeRow>& rows, std::size_t epoch,
                           const std::string& layer, const std::string& metric) {
  std::vector<double> out;
  for (const ProbeRow& row : rows)
    if (row.epoch == epoch && row.layer == layer && row.metric == metric) out.push_back(row.value);
  return out;
}

// A small classifier on random bytes: 40 examples, batch 8, so 5 steps an epoch.
ExperimentConfig small_config() {
  ExperimentConfig config;
  config.name = "probe_epoch";
  config.threads = 1;
  config.model.hidden = {6, 5};
  config.model.activation = {"tanh", {}};
  config.optimizer.name = "sgd";
  config.optimizer.learning_rate = 0.5;
  config.train.epochs = 2;
  config.train.batch_size = 8;
  config.train.eval_batch_size = 40;
  config.probes.probe_set_size = 40;
  return config;
}

std::string probes_csv(const ExperimentConfig& config, const DataSplits& data) {
  Trainer trainer(config, data);
  const RunResult result = trainer.run();
  EXPECT_EQ(result.status, RunStatus::kCompleted) << result.message;
  return trainer.probes()->csv();
}

// The epoch rows summarise every step of the epoch, not only the due ones: those of a run probed
// every third step equal the mean and maximum of the per-step rows of the same run probed at every
// step (probes never change training). clip_count is the number of steps whose clip_fired is 1.
TEST(ProbeEpochRows, MeanAndMaxAreOverEveryStepOfTheEpoch) {
  const DataSplits data = random_splits(40, 4);
  ExperimentConfig config = small_config();
  config.clip.mode = ClipMode::kNorm;
  config.clip.max_norm = 0.6;  // fires on some steps, not all (checked below)
  config.probes.every_steps = 1;
  const std::vector<ProbeRow> every_step = parse_rows(probes_csv(config, data));
  config.probes.every_steps = 3;
  const std::vector<ProbeRow> sparse = parse_rows(probes_csv(config, data));

  std::size_t fired_total = 0;
  for (std::size_t epoch : {1u, 2u}) {
    SCOPED_TRACE("epoch " + std::to_string(epoch));
    struct Series {
      std::string layer, step_metric, epoch_metric;
    };
    std::vector<Series> series;
    for (const char* layer : {"1", "2", "3"})
      series.push_back({layer, "grad_norm_weight", "grad_norm_weight"});
    series.push_back({"", "grad_norm_global", "grad_norm_global"});
    for (const Series& s : series) {
      const std::vector<double> steps = values(every_step, epoch, s.layer, s.step_metric);
      ASSERT_EQ(steps.size(), 5u) << s.step_metric << " layer " << s.layer;
      ASSERT_LT(values(sparse, epoch, s.layer, s.step_metric).size(), steps.size());
      double sum = 0;
      for (double v : steps)
        sum += v;
      const double mean = sum / static_cast<double>(steps.size());
      const double max = *std::max_element(steps.begin(), steps.end());
      ASSERT_GT(max, 1.01 * mean) << "the steps' norms must differ for the check to mean much";
      const std::vector<double> epoch_mean =
          values(sparse, epoch, s.layer, s.epoch_metric + "_epoch_mean");
      const std::vector<double> epoch_max =
          values(sparse, epoch, s.layer, s.epoch_metric + "_epoch_max");
      ASSERT_EQ(epoch_mean.size(), 1u);
      ASSERT_EQ(epoch_max.size(), 1u);
      // The rows hold 9 significant digits; the mean of rounded values differs by less.
      EXPECT_NEAR(epoch_mean[0], mean, 1e-8 * mean) << s.epoch_metric << " layer " << s.layer;
      EXPECT_EQ(epoch_max[0], max) << s.epoch_metric << " layer " << s.layer;
    }
    double fired = 0;
    for (double v : values(every_step, epoch, "", "clip_fired"))
      fired += v;
    fired_total += static_cast<std::size_t>(fired);
    EXPECT_EQ(values(sparse, epoch, "", "clip_count"), std::vector<double>{fired});
  }
  EXPECT_GT(fired_total, 0u);
  EXPECT_LT(fired_total, 10u);
}

// update_ratio = ‖ΔW_l‖_F / ‖W_l‖_F with W the weights before the update, for Adam (whose update
// is not a multiple of the gradient), against the weights the test reads around each step it
// drives; steps that are not due have no row.
TEST(ProbeEpochRows, UpdateRatioIsTheStepOverTheWeightsBeforeIt) {
  const DataSplits data = random_splits(40, 4);
  ExperimentConfig config = small_config();
  config.optimizer.name = "adam";
  config.optimizer.learning_rate = 0.2;  // large, so that ‖W‖ after differs from ‖W‖ before
  config.probes.every_steps = 2;
  Trainer trainer(config, data);
  std::vector<std::uint32_t> indices(8);
  std::vector<std::vector<double>> expected(5);  // per step, per Linear
  for (std::size_t step = 0; step < 5; ++step) {
    for (std::size_t i = 0; i < indices.size(); ++i)
      indices[i] = static_cast<std::uint32_t>((8 * step + i) % 40);
    std::vector<std::vector<float>> before;
    for (const auto& p : trainer.network().named_parameters())
      if (p.tensor == "weight") before.emplace_back(p.value.data, p.value.data + p.value.size());
    trainer.train_step(indices, step, 1, config.optimizer.learning_rate);
    std::size_t l = 0;
    for (const auto& p : trainer.network().named_parameters()) {
      if (p.tensor != "weight") continue;
      double delta = 0, norm = 0, norm_after = 0;
      for (std::size_t i = 0; i < p.value.size(); ++i) {
        const double w = before[l][i], w_after = p.value.data[i];
        delta += (w_after - w) * (w_after - w);
        norm += w * w;
        norm_after += w_after * w_after;
      }
      expected[step].push_back(std::sqrt(delta / norm));
      // Otherwise the check could not tell the weights before from those after.
      EXPECT_GT(std::abs(std::sqrt(norm_after / norm) - 1), 1e-3) << "step " << step;
      ++l;
    }
    ASSERT_EQ(l, 3u);
  }
  const std::vector<ProbeRow> rows = parse_rows(trainer.probes()->csv());
  for (std::size_t step = 0; step < 5; ++step)
    for (std::size_t l = 0; l < 3; ++l) {
      std::vector<double> got;
      for (const ProbeRow& row : rows)
        if (row.step == step && row.layer == std::to_string(l + 1) && row.metric == "update_ratio")
          got.push_back(row.value);
      if (step % 2 != 0) {
        EXPECT_TRUE(got.empty()) << "step " << step;
        continue;
      }
      ASSERT_EQ(got.size(), 1u) << "step " << step << " layer " << l + 1;
      EXPECT_NEAR(got[0], expected[step][l], 1e-8 * expected[step][l])
          << "step " << step << " layer " << l + 1;
    }
}

// ---- Warnings ---------------------------------------------------------------------------------

// Collects the default logger's warnings while it lives.
class WarningCapture {
 public:
  WarningCapture() : sink_(std::make_shared<Sink>()) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~WarningCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  WarningCapture(const WarningCapture&) = delete;
  WarningCapture& operator=(const WarningCapture&) = delete;

  std::vector<std::string> warnings() const {
    std::lock_guard<std::mutex> lock(sink_->mutex());
    return sink_->warnings;
  }
  // The warnings that contain `text`.
  std::size_t count(const std::string& text) const {
    const auto all = warnings();
    return static_cast<std::size_t>(std::count_if(
        all.begin(), all.end(), [&](const auto& w) { return w.find(text) != std::string::npos; }));
  }

 private:
  struct Sink : spdlog::sinks::base_sink<std::mutex> {
    std::vector<std::string> warnings;
    std::mutex& mutex() { return base_sink<std::mutex>::mutex_; }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      if (msg.level == spdlog::level::warn)
        warnings.emplace_back(msg.payload.begin(), msg.payload.end());
    }
    void flush_() override {}
  };
  std::shared_ptr<Sink> sink_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines)
    text += line + "\n";
  return text;
}

// A ReLU layer of 20 units on inputs in [0, 1]: every unit gets weights 0.1 and bias 0.5, so it is
// alive on every input, except the first `dead` ones, whose zero weights and bias -1 keep them at
// z = -1: dead, and (their gradients being 0) dead for good under plain SGD.
RunResult run_with_dead_units(std::size_t dead) {
  const DataSplits data = random_splits(40, 4);
  ExperimentConfig config = small_config();
  config.model.hidden = {20};
  config.model.activation = {"relu", {}};
  config.optimizer.learning_rate = 0.01;
  config.train.epochs = 1;
  Trainer trainer(config, data);
  auto& first = dynamic_cast<Linear<float>&>(trainer.network().layer(0));
  for (std::size_t j = 0; j < 20; ++j) {
    for (std::size_t i = 0; i < 4; ++i)
      first.weight()(j, i) = j < dead ? 0.0f : 0.1f;
    first.bias()(0, j) = j < dead ? -1.0f : 0.5f;
  }
  return trainer.run();
}

// "≥ 10 % dead units": 2 of 20 warns, naming the layer and the fraction; 1 of 20 does not.
TEST(ProbeWarnings, DeadUnitsWarnFromTenPerCent) {
  {
    WarningCapture capture;
    const RunResult result = run_with_dead_units(2);
    ASSERT_EQ(result.status, RunStatus::kCompleted);
    EXPECT_EQ(result.epochs.back().probes->max_dead_fraction, 0.1);
    EXPECT_EQ(capture.count("epoch 1: layer 1 has 10% dead units"), 1u)
        << joined(capture.warnings());
    EXPECT_EQ(capture.warnings().size(), 1u) << joined(capture.warnings());
  }
  WarningCapture capture;
  const RunResult result = run_with_dead_units(1);
  ASSERT_EQ(result.status, RunStatus::kCompleted);
  EXPECT_EQ(result.epochs.back().probes->max_dead_fraction, 0.05);
  EXPECT_TRUE(capture.warnings().empty()) << joined(capture.warnings());
}

// Twelve sigmoid layers shrink the gradient by about σ' ≤ 1/4 each on the way down: the first
// layer's epoch-mean gradient norm is far below 1e-4 of the last's, and the run says so. Two tanh
// layers do not, and stay silent.
TEST(ProbeWarnings, VanishingGradientsWarnBelowOneTenThousandth) {
  const DataSplits data = random_splits(40, 4);
  auto run = [&](std::vector<std::size_t> hidden, const char* activation,
                 const WarningCapture& capture) {
    ExperimentConfig config = small_config();
    config.train.epochs = 1;
    config.model.hidden = std::move(hidden);
    config.model.activation = {activation, {}};
    Trainer trainer(config, data);
    const RunResult result = trainer.run();
    EXPECT_EQ(result.status, RunStatus::kCompleted);
    return std::pair{result.epochs.back().probes->vanishing_ratio, capture.warnings()};
  };
  {
    WarningCapture capture;
    const auto [ratio, warnings] = run(std::vector<std::size_t>(12, 8), "sigmoid", capture);
    EXPECT_LT(ratio, 1e-4);
    EXPECT_EQ(capture.count("epoch 1: vanishing gradients: ‖∂L/∂W_1‖ / ‖∂L/∂W_13‖ = "), 1u)
        << joined(warnings);
    EXPECT_EQ(warnings.size(), 1u) << joined(warnings);
  }
  WarningCapture capture;
  const auto [ratio, warnings] = run({6, 5}, "tanh", capture);
  EXPECT_GT(ratio, 1e-4);
  EXPECT_TRUE(warnings.empty()) << joined(warnings);
}

// The exploding-gradient warning compares the epoch's largest global norm with its first: a
// crafted sequence of steps (the per-tensor norms all 1, so nothing else warns) that grows ×100
// warns once, one that grows ×99 or only falls does not. The warning state starts afresh each
// epoch.
TEST(ProbeWarnings, ExplodingGradientsWarnWhenTheNormGrowsAHundredfold) {
  const DataSplits data = random_splits(40, 4);
  ExperimentConfig config = small_config();
  Trainer trainer(config, data);  // for its network; the probes below are driven by hand
  Sequential<float>& net = trainer.network();
  ProbeConfig probe_config;
  probe_config.probe_set_size = 40;
  probe_config.every_steps = 0;
  Probes probes(probe_config, net, data.train, data.normalizer, 1, "crafted");
  net.plan(40);
  const std::vector<double> tensor_norms(net.named_parameters().size(), 1.0);
  std::size_t step = 0, epoch = 0;
  auto run_epoch = [&](std::initializer_list<double> global_norms) {
    ++epoch;
    for (double norm : global_norms)
      probes.observe_gradients(step++, epoch, tensor_norms, norm, false, 8);
    probes.end_epoch(step, epoch);
  };
  WarningCapture capture;
  run_epoch({0.5, 2.0, 50.0, 3.0});  // ×100 exactly: warns
  EXPECT_EQ(capture.count("epoch 1: exploding gradients: the global norm grew from 0.5 to 50"), 1u)
      << joined(capture.warnings());
  EXPECT_EQ(capture.warnings().size(), 1u) << joined(capture.warnings());
  run_epoch({0.5, 2.0, 49.5, 3.0});  // ×99
  run_epoch({50.0, 2.0, 0.5});       // falls a hundredfold
  EXPECT_EQ(capture.warnings().size(), 1u) << joined(capture.warnings());
}

}  // namespace
}  // namespace actlab
