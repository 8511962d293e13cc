#pragma once
// The training loop. It reads like the algorithm: gather a batch, forward, loss, backward, clip,
// step, log; evaluation on the validation and test sets after each epoch. All buffers are planned
// before the first step, so a training step allocates nothing.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/config/experiment_config.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/optim/optimizer.hpp"
#include "actlab/optim/schedule.hpp"
#include "actlab/probes/probes.hpp"

namespace actlab {

class RunOutput;

enum class RunStatus { kCompleted, kDiverged, kInterrupted };
std::string_view run_status_name(RunStatus status);

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

struct EpochMetrics {
  std::size_t epoch = 0;  // 1-based
  std::size_t step = 0;   // optimizer steps so far
  double train_loss = 0;  // mean over the epoch's batches, weighted by batch size
  double train_accuracy = 0;
  Evaluation validation;  // NaN when there is no validation split
  Evaluation test;
  double learning_rate = 0;   // at the epoch's last step
  double grad_norm_mean = 0;  // global L2 norm before clipping, over the epoch's steps
  double grad_norm_max = 0;
  std::size_t clipped_steps = 0;
  double seconds = 0;  // training time of the epoch, evaluation excluded
  double samples_per_second = 0;
  // Learnable activation parameters (PReLU slope, Swish beta): name -> mean value.
  std::vector<std::pair<std::string, double>> activation_parameters;
  std::optional<ProbeEpochSummary> probes;  // when probes are on

  nlohmann::json to_json() const;
};

struct RunResult {
  RunStatus status = RunStatus::kCompleted;
  std::vector<EpochMetrics> epochs;
  // An init-only run (train.epochs: 0): the network as initialised, as "epoch 0" (see
  // Trainer::run).
  std::optional<EpochMetrics> initial;
  std::size_t steps = 0;
  std::string message;  // why it stopped early, for diverged / interrupted runs
  double seconds = 0;

  nlohmann::json summary() const;
};

class Trainer {
 public:
  // `data` must outlive the trainer.
  Trainer(const ExperimentConfig& config, const DataSplits& data);

  // Trains config.train.epochs epochs. Writes metrics.jsonl / summary.json into `output` when
  // given; stops after the current step when `*stop` becomes true (status kInterrupted).
  // With train.epochs 0 it only measures the initial network (RunResult::initial): evaluation,
  // the step-0 probes, and the gradient of the first training batch, with no update.
  RunResult run(RunOutput* output = nullptr, const std::atomic<bool>* stop = nullptr);

  Evaluation evaluate(const Dataset& data);
  Sequential<float>& network() { return network_; }
  const ExperimentConfig& config() const { return config_; }
  // The probes, when enabled (probes.csv's table so far).
  const Probes* probes() const { return probes_ ? &*probes_ : nullptr; }

 private:
  // train.epochs 0: see run().
  RunResult run_initial(RunOutput* output);
  // Fills tensor_norms_ and returns the global L2 norm of all gradients.
  double gradient_norms();
  // Returns a description of the first non-finite gradient, or "" if all are finite.
  std::string find_non_finite_gradient() const;

  ExperimentConfig config_;
  const DataSplits& data_;
  Sequential<float> network_;
  std::unique_ptr<Optimizer> optimizer_;
  std::optional<Probes> probes_;
  Rng layer_rng_;  // dropout / rrelu / gumbel draws

  std::size_t batch_size_;
  Matrix<float> x_;        // (batch, features)
  Matrix<float> dlogits_;  // (batch, classes)
  std::vector<std::int32_t> labels_;
  std::vector<std::uint32_t> order_;  // this epoch's permutation of the training set
  std::vector<std::uint32_t> eval_indices_;
  std::vector<double> tensor_norms_;  // ‖gradient‖₂ of each named parameter, this step
};

}  // namespace actlab
