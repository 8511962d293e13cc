#include "actlab/train/trainer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/data/batch.hpp"
#include "actlab/data/synthetic.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/optim/schedule.hpp"
#include "actlab/train/decision_grid.hpp"
#include "actlab/train/progress.hpp"
#include "actlab/train/run_output.hpp"

namespace actlab {
namespace {

// Independent random streams, so that e.g. adding dropout never changes the initial weights.
constexpr std::uint64_t kInitStream = 1;
constexpr std::uint64_t kLayerStream = 2;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// decision_grid.csv: 200 × 200 cells, fine enough for smooth region borders in the report.
constexpr std::size_t kDecisionGridResolution = 200;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

MlpSpec mlp_spec(const ExperimentConfig& config, const DataSplits& data) {
  MlpSpec spec;
  spec.inputs = data.train.features;
  spec.hidden = config.model.hidden;
  // Two classes: one logit, p(class 1) = sigmoid(z) (sigmoid_binary_cross_entropy.hpp).
  spec.outputs = data.train.classes == 2 ? 1 : data.train.classes;
  spec.activation = config.model.activation;
  spec.init = config.model.init;
  spec.bias_init = config.model.bias_init;
  spec.layers = config.model.layers;
  return spec;
}

// BatchNorm, as PyTorch's, cannot train on a batch of one row; say so before training starts
// rather than at the last batch of the first epoch.
void check_batch_statistics(const MlpSpec& spec, std::size_t train_size, std::size_t batch) {
  if (!uses_batch_statistics(spec) || train_size == 0) return;
  if (batch == 1 || train_size % batch == 1)
    throw ConfigError(
        "train.batch_size: batchnorm needs at least 2 examples per training batch, "
        "but with " +
        std::to_string(train_size) + " training examples and batches of " + std::to_string(batch) +
        " one batch holds a single example; change " + "train.batch_size or data.train_subset");
}

// The network, its weights drawn and its buffers planned for the largest batch it will see.
Sequential<float> initialized_network(const ExperimentConfig& config, const DataSplits& data,
                                      std::size_t batch_size) {
  const MlpSpec spec = mlp_spec(config, data);
  if (data.train.classes == 2 && config.train.label_smoothing > 0)
    throw ConfigError(
        "train.label_smoothing applies to softmax cross-entropy (3 or more classes); "
        "two-class data trains one logit with binary cross-entropy");
  check_batch_statistics(spec, data.train.size(), batch_size);
  Sequential<float> network = build_mlp<float>(spec);
  Rng init_rng = Rng::stream(config.seed, kInitStream);
  network.initialize(init_rng);
  network.plan(std::max({batch_size, config.train.eval_batch_size,
                         config.probes.enabled ? config.probes.probe_set_size : 0}));
  return network;
}

// "alpha", "activation.beta": a learnable activation parameter; "weight", "norm.bias" are not.
bool is_activation_parameter(const std::string& tensor) {
  const std::string last = tensor.substr(tensor.rfind('.') + 1);
  return last != "weight" && last != "bias";
}

// A loss for a log line: four decimals, or four significant digits once it is too large for
// fixed point to stay readable (a diverging run's 3.8e+30).
std::string loss_text(double loss) {
  return std::abs(loss) < 1e6 ? fmt::format("{:.4f}", loss) : fmt::format("{:.4g}", loss);
}

// The validation part of a log line; a run without a validation set (data.validation_size: 0)
// says so instead of printing its NaN loss and accuracy.
std::string validation_summary(const Dataset& validation, const Evaluation& result) {
  if (validation.size() == 0) return "no validation set";
  return fmt::format("val loss {} acc {:.4f}", loss_text(result.loss), result.accuracy);
}

}  // namespace

Trainer::Trainer(const ExperimentConfig& config, const DataSplits& data, StepMode mode)
    : config_(config),
      data_(data),
      batch_size_(std::min(config.train.batch_size, std::max<std::size_t>(data.train.size(), 1))),
      network_(initialized_network(config, data, batch_size_)),
      optimizer_(make_optimizer(config.optimizer, network_.parameters().size())),
      layer_rng_(Rng::stream(config.seed, kLayerStream)),
      state_{.network = network_,
             .optimizer = *optimizer_,
             .probes = nullptr,
             .layer_rng = layer_rng_,
             .clip = config.clip,
             .label_smoothing = config.train.label_smoothing},
      step_buffers_(network_, batch_size_),
      early_stopping_(config.train.early_stopping),
      x_(std::max(batch_size_, config.train.eval_batch_size), data.train.features),
      labels_(std::max(batch_size_, config.train.eval_batch_size)),
      order_(data.train.size()),
      eval_indices_(config.train.eval_batch_size) {
  if (mode == StepMode::kEngine)
    engine_.emplace(config.threads > 0 ? config.threads : available_cores(), network_, *optimizer_,
                    data.train, data.normalizer, batch_size_);
  if (config.probes.enabled) {
    probes_.emplace(config.probes, network_, data.train, data.normalizer, config.seed, config.name,
                    team());
    state_.probes = &*probes_;
  }
}

StepResult Trainer::train_step(std::span<const std::uint32_t> indices, std::size_t step,
                               std::size_t epoch, double lr,
                               std::span<const std::uint32_t> next_indices) {
  const StepPosition at{.step = step, .epoch = epoch, .learning_rate = lr};
  if (engine_)
    return engine_->step(state_, engine_->fetch(indices, next_indices), at, step_buffers_);
  const std::size_t rows = indices.size();
  const MatrixView<float> x = x_.view().row_range(0, rows);
  const std::span<std::int32_t> labels(labels_.data(), rows);
  gather_batch(data_.train, indices, data_.normalizer, x, labels);
  return reference_step(state_, {x, labels}, at, step_buffers_);
}

Evaluation Trainer::evaluate(const Dataset& data) {
  Evaluation result{kNaN, kNaN};
  if (data.size() == 0) return result;
  const std::size_t chunk = config_.train.eval_batch_size;
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t first = 0; first < data.size(); first += chunk) {
    const std::size_t rows = std::min(chunk, data.size() - first);
    for (std::size_t i = 0; i < rows; ++i)
      eval_indices_[i] = static_cast<std::uint32_t>(first + i);
    const MatrixView<float> x = x_.view().row_range(0, rows);
    const std::span<std::int32_t> labels(labels_.data(), rows);
    gather_batch(data, {eval_indices_.data(), rows}, data_.normalizer, x, labels, team());
    const MatrixView<float> logits =
        network_.forward(x, {.training = false, .rng = nullptr, .team = team()});
    const LossResult loss = output_loss(logits, labels, 0.0, {}, team());
    // The product kept apart from the sum: whether the compiler fuses the two into an FMA
    // depends on inlining, and would make the last digit change from build to build.
    const volatile double chunk_loss = loss.loss * static_cast<double>(rows);
    loss_sum += chunk_loss;
    correct += loss.correct;
  }
  result.loss = loss_sum / static_cast<double>(data.size());
  result.accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  return result;
}

RunResult Trainer::run(RunOutput* output, const std::atomic<bool>* stop) {
  // The team's members split every GEMM between them; OpenBLAS threads of its own would compete
  // with them for the same cores.
  set_blas_threads(1);
  if (config_.train.epochs == 0) return run_initial(output);
  const std::size_t steps_per_epoch = (data_.train.size() + batch_size_ - 1) / batch_size_;
  const std::size_t total_steps = steps_per_epoch * config_.train.epochs;
  const LearningRateSchedule schedule(config_.schedule, config_.optimizer.learning_rate,
                                      steps_per_epoch, total_steps);
  if (config_.schedule.warmup_steps > total_steps && history_.empty())
    spdlog::warn(
        "schedule.warmup_steps is {} but the run trains only {} steps: the learning rate never "
        "reaches optimizer.learning_rate",
        config_.schedule.warmup_steps, total_steps);
  RunResult result;
  result.epochs = history_;
  result.target_accuracy = config_.target_accuracy;
  const auto run_start = Clock::now();
  std::size_t step = steps_done_;
  bool stop_early = early_stopping_.should_stop();  // a run resumed after it stopped early
  for (std::size_t epoch = history_.size() + 1; epoch <= config_.train.epochs && !stop_early;
       ++epoch) {
    EpochMetrics metrics;
    metrics.epoch = epoch;
    if (const std::optional<EpochEnd> end = train_epoch(schedule, stop, step, metrics)) {
      result.status = end->status;
      result.message = end->message;
      break;
    }
    finish_epoch(metrics);
    stop_early = early_stopping_.update(epoch, metrics.validation.loss);
    if (stop_early)
      spdlog::info("early stopping: no validation-loss improvement for {} epochs (best: epoch {})",
                   config_.train.early_stopping.patience, early_stopping_.state().best_epoch);
    if (output != nullptr)
      output->commit_epoch(metrics.to_json(), probes_ ? &probes_->csv() : nullptr,
                           checkpoint(epoch, step, seconds_done_ + seconds_since(run_start)));
    result.epochs.push_back(std::move(metrics));
  }
  if (result.status == RunStatus::kCompleted) {
    result.stopped_early = stop_early;
    if (output != nullptr && is_synthetic_dataset(config_.data.dataset)) {
      output->write_text("decision_grid.csv",
                         decision_grid_csv(network_, data_.normalizer, kDecisionGridResolution,
                                           config_.train.eval_batch_size));
      output->write_text("points.csv", points_csv(data_.train, data_.test));
    }
  }
  result.steps = step;
  result.seconds = seconds_done_ + seconds_since(run_start);
  if (config_.train.early_stopping.enabled()) result.early_stopping = early_stopping_.state();
  return result;
}

std::optional<Trainer::EpochEnd> Trainer::train_epoch(const LearningRateSchedule& schedule,
                                                      const std::atomic<bool>* stop,
                                                      std::size_t& step, EpochMetrics& metrics) {
  const std::size_t n = data_.train.size(), epoch = metrics.epoch;
  const std::size_t steps_per_epoch = (n + batch_size_ - 1) / batch_size_;
  epoch_order(n, config_.seed, epoch, order_);
  ProgressBar progress;
  progress.start(fmt::format("epoch {}/{}", epoch, config_.train.epochs).c_str(), steps_per_epoch);
  const auto epoch_start = Clock::now();
  double loss_sum = 0, norm_sum = 0;
  std::size_t correct = 0;
  for (std::size_t b = 0; b < steps_per_epoch; ++b, ++step) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      progress.finish();
      return EpochEnd{
          RunStatus::kInterrupted,
          fmt::format("interrupted at step {} (epoch {}); the last complete epoch is {}", step,
                      epoch, epoch - 1)};
    }
    const std::size_t first = b * batch_size_, rows = std::min(batch_size_, n - first);
    const std::span<const std::uint32_t> batch(order_.data() + first, rows);
    const std::span<const std::uint32_t> next(order_.data() + first + rows,
                                              std::min(batch_size_, n - first - rows));
    metrics.learning_rate = schedule.at(step);
    const StepResult outcome = train_step(batch, step, epoch, metrics.learning_rate, next);
    if (!outcome.finite) {
      progress.finish();
      const std::string where = find_non_finite_gradient();
      return EpochEnd{
          RunStatus::kDiverged,
          fmt::format(
              "diverged at step {} (epoch {}): {}{}", step, epoch,
              std::isfinite(outcome.loss) ? "" : fmt::format("loss is {}; ", outcome.loss),
              where.empty() ? "gradient norm is not finite" : "non-finite gradient in " + where)};
    }
    loss_sum += outcome.loss * static_cast<double>(rows);
    correct += outcome.correct;
    norm_sum += outcome.grad_norm;
    metrics.grad_norm_max = std::max(metrics.grad_norm_max, outcome.grad_norm);
    metrics.clipped_steps += outcome.clipped ? 1 : 0;
    const double seen = static_cast<double>(first + rows);
    progress.update(b + 1, "loss", loss_sum / seen, seen / seconds_since(epoch_start));
  }
  progress.finish();
  metrics.seconds = seconds_since(epoch_start);
  metrics.step = step;
  metrics.train_loss = loss_sum / static_cast<double>(n);
  metrics.train_accuracy = static_cast<double>(correct) / static_cast<double>(n);
  metrics.grad_norm_mean = norm_sum / static_cast<double>(steps_per_epoch);
  metrics.samples_per_second = static_cast<double>(n) / metrics.seconds;
  return std::nullopt;
}

void Trainer::finish_epoch(EpochMetrics& metrics) {
  if (probes_) metrics.probes = probes_->end_epoch(metrics.step, metrics.epoch);
  metrics.validation = evaluate(data_.validation);
  metrics.test = evaluate(data_.test);
  metrics.activation_parameters = activation_parameter_means();
  std::string extra;
  for (const auto& [name, value] : metrics.activation_parameters)
    extra += " · " + name + " " + std::to_string(value);
  spdlog::info(
      "epoch {}/{} · train loss {} acc {:.4f} · {} · test acc {:.4f} "
      "· lr {:.3g} · |g| {:.3g} · {:.1f}s, {:.0f} samples/s{}",
      metrics.epoch, config_.train.epochs, loss_text(metrics.train_loss), metrics.train_accuracy,
      validation_summary(data_.validation, metrics.validation), metrics.test.accuracy,
      metrics.learning_rate, metrics.grad_norm_mean, metrics.seconds, metrics.samples_per_second,
      extra);
}

// The initial network, as "epoch 0": evaluation first (batchnorm's running statistics are still
// their initial values), then the step-0 probes, with the gradient of the batch that step 0 of a
// training run would use (the first of epoch 1's order, the same dropout draws), computed by the
// training step's own code: the rows equal the step-0 rows of a training run with the same
// configuration, update ratios aside.
RunResult Trainer::run_initial(RunOutput* output) {
  const auto start = Clock::now();
  EpochMetrics metrics;  // epoch 0, step 0
  metrics.learning_rate = config_.optimizer.learning_rate;
  if (probes_) probes_->measure(0, 0);
  metrics.validation = evaluate(data_.validation);
  metrics.test = evaluate(data_.test);
  metrics.train_loss = metrics.train_accuracy = kNaN;
  const std::size_t n = data_.train.size();
  if (n > 0) {
    epoch_order(n, config_.seed, 1, order_);
    const std::size_t rows = std::min(batch_size_, n);
    const MatrixView<float> x = x_.view().row_range(0, rows);
    const std::span<std::int32_t> labels(labels_.data(), rows);
    gather_batch(data_.train, {order_.data(), rows}, data_.normalizer, x, labels, team());
    const StepResult first = compute_gradients(state_, {x, labels}, step_buffers_);
    // The first batch's loss and accuracy: what a training run's first step sees.
    metrics.train_loss = first.loss;
    metrics.train_accuracy = static_cast<double>(first.correct) / static_cast<double>(rows);
    metrics.grad_norm_mean = metrics.grad_norm_max = first.grad_norm;
    if (probes_)
      probes_->observe_gradients(0, 0, step_buffers_.tensor_norms, first.grad_norm, false, rows);
  }
  if (probes_) {
    metrics.probes = probes_->end_epoch(0, 0);
    if (output != nullptr) output->write_text("probes.csv", probes_->csv());
  }
  metrics.activation_parameters = activation_parameter_means();
  spdlog::info("initial network · first batch loss {} · {} · test loss {} acc {:.4f} · |g| {:.3g}",
               loss_text(metrics.train_loss),
               validation_summary(data_.validation, metrics.validation),
               loss_text(metrics.test.loss), metrics.test.accuracy, metrics.grad_norm_mean);
  if (output != nullptr) output->append_metrics(metrics.to_json());
  RunResult result;
  result.initial = std::move(metrics);
  result.seconds = seconds_since(start);
  return result;
}

std::vector<std::pair<std::string, double>> Trainer::activation_parameter_means() const {
  std::vector<std::pair<std::string, double>> means;
  for (const auto& p : network_.named_parameters()) {
    if (!is_activation_parameter(p.tensor)) continue;
    double sum = 0;
    for (std::size_t i = 0; i < p.value.size(); ++i)
      sum += p.value.data[i];
    means.emplace_back(p.name, sum / static_cast<double>(p.value.size()));
  }
  return means;
}

std::string Trainer::find_non_finite_gradient() const {
  for (const auto& p : network_.named_parameters())
    for (std::size_t i = 0; i < p.grad.size(); ++i)
      if (!std::isfinite(p.grad.data[i]))
        return p.name + " (layer " + std::to_string(p.layer_index) + " of the network)";
  return "";
}

}  // namespace actlab
