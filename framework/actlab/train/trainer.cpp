#include "actlab/train/trainer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/core/prefetch.hpp"
#include "actlab/core/sum_of_squares.hpp"
#include "actlab/data/batch.hpp"
#include "actlab/data/synthetic.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/nn/sigmoid_binary_cross_entropy.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "actlab/optim/clip.hpp"
#include "actlab/train/decision_grid.hpp"
#include "actlab/train/progress.hpp"
#include "actlab/train/run_output.hpp"

namespace actlab {
namespace {

// Independent random streams, so that e.g. adding dropout never changes the initial weights.
constexpr std::uint64_t kInitStream = 1;
constexpr std::uint64_t kLayerStream = 2;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// JSON has no NaN: absent values are written as null.
nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
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

// The loss of the network's output: binary cross-entropy on one logit for two classes, softmax
// cross-entropy otherwise. dlogits may be empty (evaluation).
LossResult output_loss(MatrixView<const float> logits, std::span<const std::int32_t> labels,
                       double label_smoothing, MatrixView<float> dlogits) {
  if (logits.cols == 1) return sigmoid_binary_cross_entropy<float>(logits, labels, dlogits);
  return softmax_cross_entropy<float>(logits, labels, label_smoothing, dlogits);
}

// The validation part of a log line; a run without a validation set (data.validation_size: 0)
// says so instead of printing its NaN loss and accuracy.
std::string validation_summary(const Dataset& validation, const Evaluation& result) {
  if (validation.size() == 0) return "no validation set";
  return fmt::format("val loss {:.4f} acc {:.4f}", result.loss, result.accuracy);
}

// Steps by rows (Sequential::forward_backward_by_rows) for networks no wider than this. Measured on
// 2 threads (BENCHMARKS.md): W3 (128 wide) trained 6-9 % faster by rows than with every GEMM split
// between the threads, W1 (256 wide) 11-15 % slower; narrow layers make small GEMMs, whose split
// costs more than the weight gradients' shares cost to add.
constexpr std::size_t kWidestByRows = 128;

std::size_t widest_layer(const Sequential<float>& network) {
  std::size_t widest = 0;
  for (std::size_t i = 0; i < network.layer_count(); ++i)
    widest = std::max(widest, network.layer(i).output_size());
  return widest;
}

// decision_grid.csv: 200 × 200 cells, fine enough for smooth region borders in the report.
constexpr std::size_t kDecisionGridResolution = 200;
// BatchNorm, as PyTorch's, cannot train on a batch of one row; say so before training starts
// rather than at the last batch of the first epoch.
void check_batch_statistics(const MlpSpec& spec, std::size_t train_size, std::size_t batch) {
  if (!uses_batch_statistics(spec) || train_size == 0) return;
  if (batch == 1 || train_size % batch == 1)
    throw ConfigError(
        "train.batch_size: batchnorm needs at least 2 examples per training batch, "
        "but with " +
        std::to_string(train_size) + " training examples and " + "batches of " +
        std::to_string(batch) + " one batch holds a single " +
        "example; change train.batch_size or data.train_subset");
}

// "alpha", "activation.beta": a learnable activation parameter; "weight", "norm.bias" are not.
bool is_activation_parameter(const std::string& tensor) {
  const std::string last = tensor.substr(tensor.rfind('.') + 1);
  return last != "weight" && last != "bias";
}

}  // namespace

std::string_view run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kDiverged:
      return "diverged";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "?";
}

nlohmann::json EpochMetrics::to_json() const {
  nlohmann::json j;
  j["epoch"] = epoch;
  j["step"] = step;
  j["train_loss"] = number_or_null(train_loss);
  j["train_accuracy"] = number_or_null(train_accuracy);
  j["validation_loss"] = number_or_null(validation.loss);
  j["validation_accuracy"] = number_or_null(validation.accuracy);
  j["test_loss"] = number_or_null(test.loss);
  j["test_accuracy"] = number_or_null(test.accuracy);
  j["learning_rate"] = learning_rate;
  j["grad_norm_mean"] = number_or_null(grad_norm_mean);
  j["grad_norm_max"] = number_or_null(grad_norm_max);
  j["clipped_steps"] = clipped_steps;
  for (const auto& [name, value] : activation_parameters)
    j[name] = number_or_null(value);
  if (probes) {
    j["vanishing_ratio"] = number_or_null(probes->vanishing_ratio);
    j["grad_norm_slope"] = number_or_null(probes->grad_norm_slope);
    j["max_dead_fraction"] = number_or_null(probes->max_dead_fraction);
    j["mean_saturated_fraction"] = number_or_null(probes->mean_saturated_fraction);
    j["dead_fraction_by_layer"] = probes->dead_fraction_by_layer;
    j["grad_norm_by_layer"] = probes->grad_norm_by_layer;
  }
  j["seconds"] = seconds;
  j["samples_per_second"] = samples_per_second;
  return j;
}

namespace {

// A number of metrics.jsonl: null stands for NaN.
double number_from_json(const nlohmann::json& value) {
  return value.is_null() ? kNaN : value.get<double>();
}

std::vector<double> numbers_from_json(const nlohmann::json& values) {
  std::vector<double> out;
  for (const auto& value : values)
    out.push_back(number_from_json(value));
  return out;
}

}  // namespace

EpochMetrics EpochMetrics::from_json(const nlohmann::json& j) {
  static const std::set<std::string> known = {"epoch",
                                              "step",
                                              "train_loss",
                                              "train_accuracy",
                                              "validation_loss",
                                              "validation_accuracy",
                                              "test_loss",
                                              "test_accuracy",
                                              "learning_rate",
                                              "grad_norm_mean",
                                              "grad_norm_max",
                                              "clipped_steps",
                                              "vanishing_ratio",
                                              "grad_norm_slope",
                                              "max_dead_fraction",
                                              "mean_saturated_fraction",
                                              "dead_fraction_by_layer",
                                              "grad_norm_by_layer",
                                              "seconds",
                                              "samples_per_second"};
  auto number = [&](const char* key) { return number_from_json(j.at(key)); };
  EpochMetrics m;
  m.epoch = j.at("epoch").get<std::size_t>();
  m.step = j.at("step").get<std::size_t>();
  m.train_loss = number("train_loss");
  m.train_accuracy = number("train_accuracy");
  m.validation = {number("validation_loss"), number("validation_accuracy")};
  m.test = {number("test_loss"), number("test_accuracy")};
  m.learning_rate = number("learning_rate");
  m.grad_norm_mean = number("grad_norm_mean");
  m.grad_norm_max = number("grad_norm_max");
  m.clipped_steps = j.at("clipped_steps").get<std::size_t>();
  m.seconds = number("seconds");
  m.samples_per_second = number("samples_per_second");
  for (const auto& [key, value] : j.items())
    if (!known.count(key)) m.activation_parameters.emplace_back(key, number_from_json(value));
  if (j.contains("vanishing_ratio")) {
    ProbeEpochSummary p;
    p.vanishing_ratio = number("vanishing_ratio");
    p.grad_norm_slope = number("grad_norm_slope");
    p.max_dead_fraction = number("max_dead_fraction");
    p.mean_saturated_fraction = number("mean_saturated_fraction");
    p.dead_fraction_by_layer = numbers_from_json(j.at("dead_fraction_by_layer"));
    p.grad_norm_by_layer = numbers_from_json(j.at("grad_norm_by_layer"));
    m.probes = std::move(p);
  }
  return m;
}

nlohmann::json RunResult::summary() const {
  nlohmann::json j;
  j["status"] = std::string(run_status_name(status));
  j["epochs_completed"] = epochs.size();
  j["steps"] = steps;
  if (!message.empty()) j["message"] = message;
  j["seconds"] = seconds;
  if (initial) j["initial"] = initial->to_json();
  j["stopped_early"] = stopped_early;
  if (early_stopping)
    j["early_stopping"] = {{"best_epoch", early_stopping->best_epoch},
                           {"best_validation_loss", number_or_null(early_stopping->best_loss)}};
  if (target_accuracy) {
    j["target_accuracy"] = *target_accuracy;
    j["epoch_reached_target"] = nullptr;
    for (const auto& e : epochs)
      if (e.test.accuracy >= *target_accuracy) {
        j["epoch_reached_target"] = e.epoch;
        break;
      }
  }
  if (!epochs.empty()) {
    const EpochMetrics& last = epochs.back();
    j["final"] = last.to_json();
    double best = -1;
    std::size_t best_epoch = 0;
    for (const auto& e : epochs)
      if (std::isfinite(e.test.accuracy) && e.test.accuracy > best) {
        best = e.test.accuracy;
        best_epoch = e.epoch;
      }
    j["best_test_accuracy"] = number_or_null(best >= 0 ? best : kNaN);
    j["best_epoch"] = best_epoch;
    double samples = 0, train_seconds = 0;
    for (const auto& e : epochs) {
      samples += e.samples_per_second * e.seconds;
      train_seconds += e.seconds;
    }
    j["samples_per_second"] = train_seconds > 0 ? samples / train_seconds : 0.0;
  }
  return j;
}

Trainer::Trainer(const ExperimentConfig& config, const DataSplits& data)
    : config_(config),
      data_(data),
      team_(config.threads > 0 ? config.threads : available_cores()),
      network_(build_mlp<float>(mlp_spec(config, data))),
      optimizer_(make_optimizer(config.optimizer, network_.parameters().size())),
      layer_rng_(Rng::stream(config.seed, kLayerStream)),
      early_stopping_(config.train.early_stopping),
      batch_size_(std::min(config.train.batch_size, std::max<std::size_t>(data.train.size(), 1))) {
  if (data.train.classes == 2 && config.train.label_smoothing > 0)
    throw ConfigError(
        "train.label_smoothing applies to softmax cross-entropy (3 or more classes); "
        "two-class data trains one logit with binary cross-entropy");
  check_batch_statistics(mlp_spec(config, data), data.train.size(), batch_size_);
  Rng init_rng = Rng::stream(config.seed, kInitStream);
  network_.initialize(init_rng);
  if (config.probes.enabled)
    probes_.emplace(config.probes, network_, data.train, data.normalizer, config.seed, config.name,
                    static_cast<std::size_t>(team_.size()));
  network_.plan(std::max({batch_size_, config.train.eval_batch_size,
                          config.probes.enabled ? config.probes.probe_set_size : 0}));
  x_.resize(std::max(batch_size_, config.train.eval_batch_size), data.train.features);
  dlogits_.resize(batch_size_, network_.output_size());
  labels_.resize(std::max(batch_size_, config.train.eval_batch_size));
  order_.resize(data.train.size());
  eval_indices_.resize(config.train.eval_batch_size);
  tensor_norms_.resize(network_.named_parameters().size());
  tensor_square_sums_.resize(network_.named_parameters().size());
  part_sums_.resize(network_.named_parameters().size() * static_cast<std::size_t>(team_.size()));
  row_losses_.resize(static_cast<std::size_t>(team_.size()));
  runs_by_rows_ = network_.runs_by_rows() && network_.output_size() > 1 &&
                  widest_layer(network_) <= kWidestByRows;
  for (const auto& p : network_.named_parameters())
    tensor_grads_.emplace_back(p.grad.data, p.grad.size());
  for (StagedBatch& staged : staged_) {
    if (team_.size() == 1) break;  // nothing is gathered ahead on one thread
    staged.x.resize(batch_size_, data.train.features);
    staged.labels.resize(batch_size_);
    staged.indices.reserve(batch_size_);
  }
}

Trainer::~Trainer() {
  team_.finish_idle_work();  // nothing of a member's may still write the staged batches
}

namespace {
// Rows of a staged batch a member gathers at a time: about a microsecond, so that a member busy
// with one delays the next pass that little.
constexpr std::size_t kStagedRowsPerUnit = 2;
}  // namespace

void Trainer::StagedGather::operator()(std::size_t unit) const noexcept {
  const std::size_t rows = batch->indices.size();
  const std::size_t begin = unit * kStagedRowsPerUnit;
  gather_rows(trainer->data_.train, batch->indices, trainer->data_.normalizer,
              batch->x.view().row_range(0, rows), {batch->labels.data(), rows}, begin,
              std::min(rows, begin + kStagedRowsPerUnit));
}

void Trainer::stage_batch(std::span<const std::uint32_t> indices, std::size_t slot) {
  const std::size_t rows = indices.size();
  if (rows == 0 || rows > batch_size_ || team_.size() == 1) return;
  // The members' waits at the ends of a step's passes (the spread of their speeds, the loss on
  // member 0) add up to more than a batch's gather on the workloads, so the gather leaves the
  // step's critical path: steps 0.8-3.2 % faster than gathering on the team at the step's start
  // after a prefetch (BENCHMARKS.md).
  StagedBatch& staged = staged_[slot];
  staged.indices.assign(indices.begin(), indices.end());
  check_batch(data_.train, staged.indices, staged.x.view().row_range(0, rows),
              {staged.labels.data(), rows});
  staged_gather_ = {this, &staged};
  team_.post_idle_work(staged_gather_, (rows + kStagedRowsPerUnit - 1) / kStagedRowsPerUnit);
  next_slot_ = slot;
}

Evaluation Trainer::evaluate(const Dataset& data) {
  const ComputeTeam::Scope on_team(&team_);
  Evaluation result{kNaN, kNaN};
  if (data.size() == 0) return result;
  const std::size_t chunk = config_.train.eval_batch_size;
  double loss_sum = 0;
  std::size_t correct = 0;
  std::vector<std::uint32_t>& indices = eval_indices_;
  for (std::size_t first = 0; first < data.size(); first += chunk) {
    const std::size_t rows = std::min(chunk, data.size() - first);
    for (std::size_t i = 0; i < rows; ++i)
      indices[i] = static_cast<std::uint32_t>(first + i);
    MatrixView<float> x = x_.view().row_range(0, rows);
    std::span<std::int32_t> labels(labels_.data(), rows);
    gather_batch(data, {indices.data(), rows}, data_.normalizer, x, labels);
    MatrixView<float> logits = network_.forward(x, {.training = false, .rng = nullptr});
    const LossResult loss = output_loss(logits, labels, 0.0, {});
    loss_sum += loss.loss * static_cast<double>(rows);
    correct += loss.correct;
  }
  result.loss = loss_sum / static_cast<double>(data.size());
  result.accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  return result;
}

// The initial network, as "epoch 0": evaluation first (batchnorm's running statistics are still
// their initial values), then the step-0 probes, with the gradient of the batch that step 0 of a
// training run would use (the first of epoch 1's order, the same dropout draws): the rows equal
// the step-0 rows of a training run with the same configuration, update ratios aside.
RunResult Trainer::run_initial(RunOutput* output) {
  const auto start = Clock::now();
  RunResult result;
  EpochMetrics metrics;  // epoch 0, step 0
  metrics.learning_rate = config_.optimizer.learning_rate;
  if (probes_) probes_->measure(0, 0);
  metrics.validation = evaluate(data_.validation);
  metrics.test = evaluate(data_.test);

  const std::size_t n = data_.train.size();
  metrics.train_loss = metrics.train_accuracy = kNaN;
  if (n > 0) {
    epoch_order(n, config_.seed, 1, order_);
    const std::size_t rows = std::min(batch_size_, n);
    MatrixView<float> x = x_.view().row_range(0, rows);
    std::span<std::int32_t> labels(labels_.data(), rows);
    gather_batch(data_.train, {order_.data(), rows}, data_.normalizer, x, labels);
    network_.zero_grad();
    MatrixView<float> logits = network_.forward(x, {.training = true, .rng = &layer_rng_});
    MatrixView<float> dlogits = dlogits_.view().row_range(0, rows);
    const LossResult loss =
        softmax_cross_entropy<float>(logits, labels, config_.train.label_smoothing, dlogits);
    network_.backward(dlogits);
    const double grad_norm = gradient_norms();
    // The first batch's loss and accuracy: what a training run's first step sees.
    metrics.train_loss = loss.loss;
    metrics.train_accuracy = static_cast<double>(loss.correct) / static_cast<double>(rows);
    metrics.grad_norm_mean = metrics.grad_norm_max = grad_norm;
    if (probes_) probes_->observe_gradients(0, 0, tensor_norms_, grad_norm, false, rows);
  }
  if (probes_) {
    metrics.probes = probes_->end_epoch(0, 0);
    if (output != nullptr) output->write_text("probes.csv", probes_->csv());
  }
  for (const auto& p : network_.named_parameters()) {
    if (!is_activation_parameter(p.tensor)) continue;
    double sum = 0;
    for (std::size_t i = 0; i < p.value.size(); ++i)
      sum += p.value.data[i];
    metrics.activation_parameters.emplace_back(p.name, sum / static_cast<double>(p.value.size()));
  }
  spdlog::info(
      "initial network · first batch loss {:.4f} · {} · test loss {:.4f} acc {:.4f} · |g| "
      "{:.3g}",
      metrics.train_loss, validation_summary(data_.validation, metrics.validation),
      metrics.test.loss, metrics.test.accuracy, metrics.grad_norm_mean);
  if (output != nullptr) output->append_metrics(metrics.to_json());
  result.initial = std::move(metrics);
  result.seconds = seconds_since(start);
  return result;
}

namespace {
// The update with norms goes through the gradients in pieces of kPiece floats (16 KB): each is
// summed, then updated, while it is in L1.
constexpr std::size_t kPiece = 16 * kSumOfSquaresBlock;
// A tensor is split between the team's members in whole pieces, at least two to a member: a bias
// vector stays on one.
constexpr std::size_t kPartGrain = 2 * kPiece;
}  // namespace

double Trainer::square_sum(std::span<const float> values) {
  // Cut as update_tensors cuts, so that both give the same sums bit for bit.
  const std::size_t parts = parallel_parts(values.size(), kPartGrain);
  std::fill(part_sums_.begin(), part_sums_.begin() + static_cast<std::ptrdiff_t>(parts), 0.0);
  parallel_for(values.size(), kPartGrain, kPiece,
               [&](std::size_t part, std::size_t begin, std::size_t end) {
                 part_sums_[part] = sum_of_squares(values.subspan(begin, end - begin));
               });
  double total = 0;
  for (std::size_t part = 0; part < parts; ++part)
    total += part_sums_[part];
  return total;
}

double Trainer::gradient_norms() {
  const auto& named = network_.named_parameters();
  for (std::size_t i = 0; i < named.size(); ++i)
    tensor_square_sums_[i] = square_sum({named[i].grad.data, named[i].grad.size()});
  return norms_from_square_sums();
}

double Trainer::norms_from_square_sums() {
  // The global L2 norm from per-tensor sums: the same arithmetic whether probes read the
  // per-tensor norms or not, so probes cannot change a clipping decision.
  double total = 0;
  for (std::size_t i = 0; i < tensor_square_sums_.size(); ++i) {
    tensor_norms_[i] = std::sqrt(tensor_square_sums_[i]);
    total += tensor_square_sums_[i];
  }
  return std::sqrt(total);
}

std::string Trainer::find_non_finite_gradient() const {
  for (const auto& p : network_.named_parameters()) {
    for (std::size_t i = 0; i < p.grad.size(); ++i)
      if (!std::isfinite(p.grad.data[i]))
        return p.name + " (layer " + std::to_string(p.layer_index) + " of the network)";
  }
  return "";
}

bool Trainer::update_tensors(double lr) {
  const auto& named = network_.named_parameters();
  const auto members = static_cast<std::size_t>(current_team_size());
  const float* const first_param = network_.parameters().data();
  const std::span<const std::span<const float>> shares = network_.take_gradient_shares();
  // Every tensor is cut as square_sum cuts it; all the tensors' parts are handed out in one pass.
  // A tensor too small to cut goes whole to one member, taking turns, so that the biases do not
  // all land on member 0.
  auto task = [&](int member_id) {
    const auto member = static_cast<std::size_t>(member_id);
    for (std::size_t t = 0; t < named.size(); ++t) {
      const NamedParameter<float>& p = named[t];
      const std::size_t n = p.grad.size();
      const std::size_t parts = parts_of(n, kPartGrain, members);
      double* part_sum = &part_sums_[t * members];
      std::size_t part = member;
      if (parts == 1) {
        if (t % members != member) continue;
        part = 0;
      } else if (member >= parts) {
        continue;
      }
      const std::pair<std::size_t, std::size_t> range = part_range(n, parts, kPiece, part);
      const std::size_t begin = range.first, end = range.second;
      const auto offset = static_cast<std::size_t>(p.value.data - first_param);
      SumOfSquares sum;
      for (std::size_t piece = begin; piece < end; piece += kPiece) {
        const std::size_t size = std::min(kPiece, end - piece);
        float* const grad = p.grad.data + piece;
        // The update below streams this piece's parameters and optimizer state from L3 or memory:
        // asked for now, they arrive while the shares are added (W3 on two threads 9-12 % faster a
        // step; BENCHMARKS.md). Without shares to add (a step not run by rows) nothing would hide
        // the wait, and the requests only cost time (W2 1-2 % slower with them).
        if (!shares.empty()) {
          prefetch_for_update(p.value.data + piece, size);
          optimizer_->prefetch_state(offset + piece, size);
        }
        for (const std::span<const float> share : shares) {
          const float* const from = share.data() + offset + piece;
#pragma omp simd
          for (std::size_t k = 0; k < size; ++k)
            grad[k] += from[k];
        }
        sum.add({grad, size});
        if (!std::isfinite(sum.total())) break;
        optimizer_->update({p.value.data + piece, size}, {p.grad.data + piece, size},
                           offset + piece, lr);
      }
      part_sum[part] = sum.total();
      // Nothing after a non-finite piece is updated by this member; the run stops anyway.
      if (!std::isfinite(part_sum[part])) return;
    }
  };
  std::fill(part_sums_.begin(), part_sums_.end(), 0.0);
  if (members == 1)
    task(0);
  else
    current_team()->run(task);
  bool finite = true;
  for (std::size_t t = 0; t < named.size(); ++t) {
    const std::size_t parts = parts_of(named[t].grad.size(), kPartGrain, members);
    double total = 0;
    for (std::size_t part = 0; part < parts; ++part)
      total += part_sums_[t * members + part];
    tensor_square_sums_[t] = total;
    finite = finite && std::isfinite(total);
  }
  return finite;
}

StepResult Trainer::train_step(std::span<const std::uint32_t> indices, std::size_t step,
                               std::size_t epoch, double lr,
                               std::span<const std::uint32_t> next_indices) {
  const ComputeTeam::Scope on_team(&team_);
  // On one thread no member ever waits: the next batch's rows are only requested from memory, to
  // arrive while this step computes.
  if (team_.size() == 1) prefetch_batch(data_.train, next_indices);
  const std::size_t rows = indices.size();
  MatrixView<float> x = x_.view().row_range(0, rows);
  std::span<std::int32_t> labels(labels_.data(), rows);
  // This batch: gathered ahead by the team while it waited, or now.
  team_.finish_idle_work();
  std::size_t free_slot = 0;
  if (next_slot_ && std::ranges::equal(staged_[*next_slot_].indices, indices)) {
    StagedBatch& staged = staged_[*next_slot_];
    x = staged.x.view().row_range(0, rows);
    labels = {staged.labels.data(), rows};
    free_slot = 1 - *next_slot_;
  } else {
    gather_batch(data_.train, indices, data_.normalizer, x, labels);
  }
  next_slot_.reset();
  stage_batch(next_indices, free_slot);
  if (probes_ && probes_->due(step)) probes_->measure(step, epoch);

  network_.zero_grad();
  MatrixView<float> dlogits = dlogits_.view().row_range(0, rows);
  const bool by_rows = runs_by_rows_ && current_team_size() > 1;
  LossResult loss;
  if (by_rows) {
    // Forward, loss and backward in one pass, each member with its own rows (Sequential::
    // forward_backward_by_rows); the members' losses added in member order.
    std::fill(row_losses_.begin(), row_losses_.end(), LossResult{});
    network_.forward_backward_by_rows(
        x, dlogits, {.training = true, .rng = &layer_rng_},
        [&](std::size_t member, std::size_t first, std::size_t last,
            MatrixView<const float> logits) {
          row_losses_[member] = softmax_cross_entropy<float>(
              logits.row_range(first, last - first), labels.subspan(first, last - first),
              config_.train.label_smoothing, dlogits.row_range(first, last - first), rows);
        });
    for (const LossResult& part : row_losses_) {
      loss.loss += part.loss;
      loss.correct += part.correct;
    }
  } else {
    MatrixView<float> logits = network_.forward(x, {.training = true, .rng = &layer_rng_});
    loss = output_loss(logits, labels, config_.train.label_smoothing, dlogits);
  }
  // The gradients complete: backward, or after a step by rows the other members' shares added.
  auto backward = [&] {
    if (by_rows)
      network_.add_gradient_shares();
    else
      network_.backward(dlogits);
  };

  StepResult result;
  result.loss = loss.loss;
  result.correct = loss.correct;
  if (!std::isfinite(loss.loss)) {
    backward();
    result.grad_norm = gradient_norms();
    result.finite = false;
    return result;
  }
  if (probes_) probes_->before_update(step);  // the weights before this step's update
  if (config_.clip.mode == ClipMode::kNone) {
    // Without clipping nothing needs the global norm before the update, so the gradients are
    // summed for the norms in the update's own pass, piece by piece while each piece is in L1:
    // one pass over them instead of two. Every update is elementwise and every sum in the same
    // order, so the results are bit-identical to norms, then step(). A non-finite gradient stops
    // the updates where it is met, before any non-finite value reaches a parameter; the tensors
    // before it were updated already, but a diverged run ends here anyway. (Updating each layer
    // right after its own backward, while its gradients are in cache, was measured too: about 1 %
    // faster on one thread but slower on two, probably because half of each fresh gradient is
    // then in the other core's cache; BENCHMARKS.md.)
    // After a step by rows the update adds the other members' shares to each piece itself, just
    // before summing and using it (one pass over the gradients instead of two).
    if (!by_rows) network_.backward(dlogits);
    if (!update_tensors(lr)) {
      result.grad_norm = kNaN;  // not summed to the end: the run stops here
      result.finite = false;
      return result;
    }
    result.grad_norm = norms_from_square_sums();
    if (!std::isfinite(result.grad_norm)) {
      result.finite = false;
      return result;
    }
    optimizer_->finish_step();
  } else {
    backward();
    result.grad_norm = gradient_norms();
    if (!std::isfinite(result.grad_norm)) {
      result.finite = false;
      return result;
    }
    switch (config_.clip.mode) {
      case ClipMode::kNone:
        break;
      case ClipMode::kNorm:
        result.clipped =
            clip_grad_norm(network_.gradients(), config_.clip.max_norm, config_.clip.norm_type)
                .clipped;
        break;
      case ClipMode::kValue:
        result.clipped = clip_grad_value(network_.gradients(), config_.clip.value);
        break;
      case ClipMode::kLayerNorm:
        // clip_grad_norm_per_tensor, without the vector of results it would allocate every step.
        for (const std::span<float> grads : tensor_grads_)
          result.clipped |=
              clip_grad_norm(grads, config_.clip.max_norm, config_.clip.norm_type).clipped;
        break;
    }
    // step(), split between the team's members (every update is elementwise).
    const std::span<float> params = network_.parameters();
    const std::span<const float> grads = network_.gradients();
    parallel_for(params.size(), kPartGrain, kPiece,
                 [&](std::size_t, std::size_t begin, std::size_t end) {
                   optimizer_->update(params.subspan(begin, end - begin),
                                      grads.subspan(begin, end - begin), begin, lr);
                 });
    optimizer_->finish_step();
  }
  if (probes_) {
    probes_->observe_gradients(step, epoch, tensor_norms_, result.grad_norm, result.clipped, rows);
    probes_->after_update(step, epoch);
  }
  return result;
}

RunResult Trainer::run(RunOutput* output, const std::atomic<bool>* stop) {
  // The team's members split every GEMM between them; OpenBLAS threads of its own would compete
  // with them for the same cores.
  set_blas_threads(1);
  const ComputeTeam::Scope on_team(&team_);
  if (config_.train.epochs == 0) return run_initial(output);
  const std::size_t n = data_.train.size();
  const std::size_t steps_per_epoch = (n + batch_size_ - 1) / batch_size_;
  const LearningRateSchedule schedule(config_.schedule, config_.optimizer.learning_rate,
                                      steps_per_epoch, steps_per_epoch * config_.train.epochs);
  RunResult result;
  result.epochs = history_;
  result.target_accuracy = config_.target_accuracy;
  const auto run_start = Clock::now();
  auto finish = [&](std::size_t steps) {
    result.steps = steps;
    result.seconds = seconds_done_ + seconds_since(run_start);
    if (config_.train.early_stopping.enabled()) result.early_stopping = early_stopping_.state();
    return result;
  };
  ProgressBar progress;
  std::size_t step = steps_done_;
  bool stop_early = early_stopping_.should_stop();  // a run resumed after it stopped early
  for (std::size_t epoch = history_.size() + 1; epoch <= config_.train.epochs && !stop_early;
       ++epoch) {
    EpochMetrics metrics;
    metrics.epoch = epoch;
    epoch_order(n, config_.seed, epoch, order_);
    char label[48];
    std::snprintf(label, sizeof(label), "epoch %zu/%zu", epoch, config_.train.epochs);
    progress.start(label, steps_per_epoch);
    const auto epoch_start = Clock::now();
    double loss_sum = 0, norm_sum = 0;
    std::size_t correct = 0, seen = 0;
    for (std::size_t b = 0; b < steps_per_epoch; ++b) {
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
        progress.finish();
        result.status = RunStatus::kInterrupted;
        result.message = "interrupted at step " + std::to_string(step) + " (epoch " +
                         std::to_string(epoch) + "); the last complete epoch is " +
                         std::to_string(epoch - 1);
        return finish(step);
      }
      const std::size_t first = b * batch_size_;
      const std::size_t rows = std::min(batch_size_, n - first);
      const std::span<const std::uint32_t> next =
          b + 1 < steps_per_epoch
              ? std::span<const std::uint32_t>(order_.data() + first + rows,
                                               std::min(batch_size_, n - first - rows))
              : std::span<const std::uint32_t>();
      metrics.learning_rate = schedule.at(step);
      const StepResult outcome =
          train_step({order_.data() + first, rows}, step, epoch, metrics.learning_rate, next);
      if (!outcome.finite) {
        progress.finish();
        const std::string where = find_non_finite_gradient();
        result.status = RunStatus::kDiverged;
        result.message =
            "diverged at step " + std::to_string(step) + " (epoch " + std::to_string(epoch) +
            "): " +
            (std::isfinite(outcome.loss) ? "" : "loss is " + std::to_string(outcome.loss) + "; ") +
            (where.empty() ? "gradient norm is not finite" : "non-finite gradient in " + where);
        return finish(step);
      }
      ++step;

      loss_sum += outcome.loss * static_cast<double>(rows);
      correct += outcome.correct;
      seen += rows;
      norm_sum += outcome.grad_norm;
      metrics.grad_norm_max = std::max(metrics.grad_norm_max, outcome.grad_norm);
      metrics.clipped_steps += outcome.clipped ? 1 : 0;
      progress.update(b + 1, "loss", loss_sum / static_cast<double>(seen),
                      static_cast<double>(seen) / seconds_since(epoch_start));
    }
    progress.finish();
    metrics.seconds = seconds_since(epoch_start);
    if (probes_) metrics.probes = probes_->end_epoch(step, epoch);
    metrics.step = step;
    metrics.train_loss = loss_sum / static_cast<double>(seen);
    metrics.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    metrics.grad_norm_mean = norm_sum / static_cast<double>(steps_per_epoch);
    metrics.samples_per_second = static_cast<double>(seen) / metrics.seconds;
    metrics.validation = evaluate(data_.validation);
    metrics.test = evaluate(data_.test);
    for (const auto& p : network_.named_parameters()) {
      if (!is_activation_parameter(p.tensor)) continue;
      double sum = 0;
      for (std::size_t i = 0; i < p.value.size(); ++i)
        sum += p.value.data[i];
      metrics.activation_parameters.emplace_back(p.name, sum / static_cast<double>(p.value.size()));
    }

    std::string extra;
    for (const auto& [name, value] : metrics.activation_parameters)
      extra += " · " + name + " " + std::to_string(value);
    spdlog::info(
        "epoch {}/{} · train loss {:.4f} acc {:.4f} · {} · test acc {:.4f} "
        "· lr {:.3g} · |g| {:.3g} · {:.1f}s, {:.0f} samples/s{}",
        epoch, config_.train.epochs, metrics.train_loss, metrics.train_accuracy,
        validation_summary(data_.validation, metrics.validation), metrics.test.accuracy,
        metrics.learning_rate, metrics.grad_norm_mean, metrics.seconds, metrics.samples_per_second,
        extra);
    stop_early = early_stopping_.update(epoch, metrics.validation.loss);
    if (stop_early)
      spdlog::info("early stopping: no validation-loss improvement for {} epochs (best: epoch {})",
                   config_.train.early_stopping.patience, early_stopping_.state().best_epoch);
    if (output != nullptr)
      output->commit_epoch(metrics.to_json(), probes_ ? &probes_->csv() : nullptr,
                           checkpoint(epoch, step, seconds_done_ + seconds_since(run_start)));
    result.epochs.push_back(std::move(metrics));
  }
  result.stopped_early = stop_early;
  if (output != nullptr && is_synthetic_dataset(config_.data.dataset)) {
    output->write_text("decision_grid.csv",
                       decision_grid_csv(network_, data_.normalizer, kDecisionGridResolution,
                                         config_.train.eval_batch_size));
    output->write_text("points.csv", points_csv(data_.train, data_.test));
  }
  return finish(step);
}

Checkpoint Trainer::checkpoint(std::size_t epoch, std::size_t step, double elapsed) const {
  Checkpoint c;
  c.config = training_fingerprint(config_);
  c.epoch = epoch;
  c.step = step;
  c.elapsed_seconds = elapsed;
  const auto params = network_.parameters();
  c.parameters.assign(params.begin(), params.end());
  for (const auto& state : network_.named_state())
    c.network_state.emplace_back(
        state.name, std::vector<float>(state.value.data, state.value.data + state.value.size()));
  c.optimizer_steps = optimizer_->steps();
  for (const auto& [name, buffer] : optimizer_->state_buffers())
    c.optimizer_state.emplace_back(name, std::vector<float>(buffer.begin(), buffer.end()));
  c.layer_rng = layer_rng_.state();
  c.early_stopping = early_stopping_.state();
  if (probes_) {
    Probes::State state = probes_->state();
    c.probes_last_measured = state.last_measured;
    c.probes_dead_at_start = std::move(state.dead_at_start);
  }
  return c;
}

void Trainer::resume_from(const Checkpoint& c, RunOutput& output) {
  check_checkpoint_config(c, training_fingerprint(config_));
  auto refuse = [&](const std::string& why) {
    throw CheckpointError(c.source.string() + ": " + why + "; refusing to resume");
  };
  const auto params = network_.parameters();
  if (c.parameters.size() != params.size())
    refuse("it holds " + std::to_string(c.parameters.size()) + " parameters, the network has " +
           std::to_string(params.size()));
  if (c.epoch > config_.train.epochs)
    refuse("it was taken after epoch " + std::to_string(c.epoch) + " of " +
           std::to_string(config_.train.epochs));
  auto buffers = optimizer_->state_buffers();
  if (buffers.size() != c.optimizer_state.size())
    refuse("it holds " + std::to_string(c.optimizer_state.size()) + " optimizer buffers, " +
           std::string(optimizer_->name()) + " has " + std::to_string(buffers.size()));
  for (std::size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].first != c.optimizer_state[i].first ||
        buffers[i].second.size() != c.optimizer_state[i].second.size())
      refuse("optimizer buffer " + c.optimizer_state[i].first + " does not fit " +
             buffers[i].first);
  if (probes_ && c.probes_dead_at_start.size() != probes_->hidden_layers())
    refuse("its probe state does not fit this network");
  auto state = network_.state_buffers();
  if (state.size() != c.network_state.size())
    refuse("it holds " + std::to_string(c.network_state.size()) + " network state buffers, the " +
           "network has " + std::to_string(state.size()));
  for (std::size_t i = 0; i < state.size(); ++i)
    if (state[i].first != c.network_state[i].first ||
        state[i].second.size() != c.network_state[i].second.size())
      refuse("network state " + c.network_state[i].first + " does not fit " + state[i].first);

  const RunOutput::Resumed files = output.resume(c);  // checks the files before changing anything
  std::copy(c.parameters.begin(), c.parameters.end(), params.begin());
  for (std::size_t i = 0; i < state.size(); ++i)
    std::copy(c.network_state[i].second.begin(), c.network_state[i].second.end(),
              state[i].second.begin());
  for (std::size_t i = 0; i < buffers.size(); ++i)
    std::copy(c.optimizer_state[i].second.begin(), c.optimizer_state[i].second.end(),
              buffers[i].second.begin());
  optimizer_->set_steps(c.optimizer_steps);
  layer_rng_.set_state(c.layer_rng);
  early_stopping_.set_state(c.early_stopping);
  if (probes_) probes_->restore({c.probes_last_measured, c.probes_dead_at_start}, files.probes_csv);
  history_.clear();
  for (const auto& line : files.metrics)
    history_.push_back(EpochMetrics::from_json(line));
  steps_done_ = c.step;
  seconds_done_ = c.elapsed_seconds;
}

}  // namespace actlab
