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
#include "actlab/core/compute_team.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "actlab/optim/optimizer.hpp"
#include "actlab/optim/schedule.hpp"
#include "actlab/probes/probes.hpp"
#include "actlab/train/checkpoint.hpp"
#include "actlab/train/early_stopping.hpp"

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
  // The inverse of to_json (a resumed run reads back the epochs before its checkpoint); keys not
  // known here are the learnable activation parameters.
  static EpochMetrics from_json(const nlohmann::json& j);
};

// What one optimizer step reports back to the loop.
struct StepResult {
  double loss = 0;          // mean over the batch
  std::size_t correct = 0;  // top-1 hits in the batch
  double grad_norm = 0;     // global L2 norm before clipping
  bool clipped = false;
  // False when the loss or a gradient is not finite; the parameters were then left unchanged.
  bool finite = true;
};

struct RunResult {
  RunStatus status = RunStatus::kCompleted;
  std::vector<EpochMetrics> epochs;
  // An init-only run (train.epochs: 0): the network as initialised, as "epoch 0" (see
  // Trainer::run).
  std::optional<EpochMetrics> initial;
  std::size_t steps = 0;
  std::string message;                    // why it stopped early, for diverged / interrupted runs
  double seconds = 0;                     // wall time, over every session of a resumed run
  std::optional<double> target_accuracy;  // from the config: reported as epoch_reached_target
  std::optional<EarlyStopping::State> early_stopping;  // when it is on
  bool stopped_early = false;

  nlohmann::json summary() const;
};

class Trainer {
 public:
  // `data` must outlive the trainer.
  Trainer(const ExperimentConfig& config, const DataSplits& data);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Trains up to config.train.epochs epochs (fewer when early stopping ends it). With `output`,
  // commits every epoch to it (metrics.jsonl, probes.csv, log.txt, checkpoint.bin); stops after
  // the current step when `*stop` becomes true (status kInterrupted).
  // With train.epochs 0 it only measures the initial network (RunResult::initial): evaluation,
  // the step-0 probes, and the gradient of the first training batch, with no update.
  RunResult run(RunOutput* output = nullptr, const std::atomic<bool>* stop = nullptr);

  // Continues from `checkpoint`, taken at an epoch end of a run of the same configuration in
  // `output`'s folder: restores weights, optimizer, random, early-stopping and probe state, and
  // the metrics of the epochs before. run() then trains the remaining epochs and ends with exactly
  // the results of an uninterrupted run (timings aside). CheckpointError if it does not fit.
  void resume_from(const Checkpoint& checkpoint, RunOutput& output);

  // Epochs already trained: 0, or the checkpoint's epoch after resume_from().
  std::size_t completed_epochs() const { return history_.size(); }
  // One training step on the training examples at `indices` (at most batch_size of them) with
  // learning rate `lr`: probes when due, gather, forward, loss, backward, norms, clip, update
  // (without clipping, the norms are summed in the update's pass).
  // `step` counts the updates made before this one. After the first step it allocates nothing,
  // except on probe steps (which append rows to the probe table).
  // `next_indices`, if given, are the next step's examples: on a team its members gather them in
  // time they would spend waiting, and a next train_step with these indices uses that batch (on one
  // thread they are requested from memory).
  StepResult train_step(std::span<const std::uint32_t> indices, std::size_t step, std::size_t epoch,
                        double lr, std::span<const std::uint32_t> next_indices = {});

  Evaluation evaluate(const Dataset& data);
  Sequential<float>& network() { return network_; }
  const ExperimentConfig& config() const { return config_; }
  // The probes, when enabled (probes.csv's table so far).
  const Probes* probes() const { return probes_ ? &*probes_ : nullptr; }

 private:
  // train.epochs 0: see run().
  RunResult run_initial(RunOutput* output);
  // Σ x² of `values`, cut between the team's members as update_tensors cuts a tensor.
  double square_sum(std::span<const float> values);
  // Fills tensor_square_sums_ and tensor_norms_ and returns the global L2 norm of all gradients.
  double gradient_norms();
  // The second half of gradient_norms(): tensor_norms_ and the global norm from
  // tensor_square_sums_.
  double norms_from_square_sums();
  // In a step without clipping: Σ g² of every named parameter t into tensor_square_sums_[t], and
  // its update with learning rate lr, piece by piece while the piece is in cache, every tensor
  // split between the team's members in one pass. False if a sum is not finite: the member that
  // met it stopped before that piece and updated nothing after it.
  bool update_tensors(double lr);
  // On a team, gathers `indices` into staged_[slot] in the members' idle time.
  void stage_batch(std::span<const std::uint32_t> indices, std::size_t slot);
  // Returns a description of the first non-finite gradient, or "" if all are finite.
  std::string find_non_finite_gradient() const;
  // The state after `epoch` (`step` optimizer steps, `elapsed` seconds of wall time).
  Checkpoint checkpoint(std::size_t epoch, std::size_t step, double elapsed) const;

  ExperimentConfig config_;
  const DataSplits& data_;
  // config.threads members (all cores for 0): every step and evaluation runs on it, OpenBLAS
  // single-threaded inside each member (compute_team.hpp).
  ComputeTeam team_;
  Sequential<float> network_;
  std::unique_ptr<Optimizer> optimizer_;
  std::optional<Probes> probes_;
  Rng layer_rng_;  // dropout / rrelu / gumbel draws
  EarlyStopping early_stopping_;
  // Where run() starts: nothing done, or what resume_from() restored.
  std::vector<EpochMetrics> history_;
  std::size_t steps_done_ = 0;
  double seconds_done_ = 0;

  std::size_t batch_size_;
  Matrix<float> x_;        // (batch, features)
  Matrix<float> dlogits_;  // (batch, classes)
  std::vector<std::int32_t> labels_;
  std::vector<std::uint32_t> order_;  // this epoch's permutation of the training set
  // Batches gathered ahead (train_step's next_indices) into one slot while the step on the other
  // runs. next_slot_: the slot gathered for the next step, or none.
  struct StagedBatch {
    Matrix<float> x;  // (rows, features)
    std::vector<std::int32_t> labels;
    std::vector<std::uint32_t> indices;
  };
  struct StagedGather {
    Trainer* trainer = nullptr;
    StagedBatch* batch = nullptr;
    void operator()(std::size_t unit) const noexcept;
  };
  StagedBatch staged_[2];
  StagedGather staged_gather_;
  std::optional<std::size_t> next_slot_;
  std::vector<std::uint32_t> eval_indices_;
  std::vector<double> tensor_norms_;  // ‖gradient‖₂ of each named parameter, this step
  std::vector<std::span<float>> tensor_grads_;  // the same gradients, for per-tensor clipping
  std::vector<double> tensor_square_sums_;      // Σ g² of each named parameter, this step
  std::vector<double> part_sums_;  // one Σ g² per tensor and team member (square_sum: per member)
  // Whether steps on a team run by rows (Sequential::forward_backward_by_rows): for networks of
  // Linear layers and activations without parameters, a softmax output and no layer wider than
  // kWidestByRows. row_losses_: one loss result per team member.
  bool runs_by_rows_ = false;
  std::vector<LossResult> row_losses_;
};

}  // namespace actlab
