#pragma once
// The training loop: for each epoch, for each batch, one training step (training_step.hpp, the
// algorithm; computed by the execution engine, engine/step_engine.hpp), then evaluation on the
// validation and test sets, the epoch's metrics (run_metrics.hpp) and a checkpoint. All buffers
// are planned before the first step, so a training step allocates nothing.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/optim/optimizer.hpp"
#include "actlab/optim/schedule.hpp"
#include "actlab/probes/probes.hpp"
#include "actlab/train/checkpoint.hpp"
#include "actlab/train/early_stopping.hpp"
#include "actlab/train/engine/step_engine.hpp"
#include "actlab/train/run_metrics.hpp"
#include "actlab/train/training_step.hpp"

namespace actlab {

class RunOutput;

// How the trainer computes a step: with the execution engine (the default), or with the reference
// step on the calling thread alone (the definition the engine is tested against).
enum class StepMode { kEngine, kReference };

class Trainer {
 public:
  // `data` must outlive the trainer.
  Trainer(const ExperimentConfig& config, const DataSplits& data,
          StepMode mode = StepMode::kEngine);
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
  // learning rate `lr`; `step` counts the updates made before it. `next_indices`, if given, are
  // the next step's examples, gathered ahead by the engine. Allocates nothing after the first step,
  // except on probe steps (which append rows to the probe table).
  StepResult train_step(std::span<const std::uint32_t> indices, std::size_t step, std::size_t epoch,
                        double lr, std::span<const std::uint32_t> next_indices = {});

  Evaluation evaluate(const Dataset& data);
  Sequential<float>& network() { return network_; }
  const Sequential<float>& network() const { return network_; }
  const ExperimentConfig& config() const { return config_; }
  // The probes, when enabled (probes.csv's table so far).
  const Probes* probes() const { return probes_ ? &*probes_ : nullptr; }
  // The team steps and evaluations run on (null in StepMode::kReference).
  ComputeTeam* team() { return engine_ ? &engine_->team() : nullptr; }

 private:
  RunResult run_initial(RunOutput* output);  // train.epochs 0: see run()
  // Why an epoch ended before its last step.
  struct EpochEnd {
    RunStatus status;
    std::string message;
  };
  // The steps of epoch metrics.epoch, from `step` on (advanced past the last one taken), and the
  // metrics they give; an EpochEnd if it was interrupted or diverged.
  std::optional<EpochEnd> train_epoch(const LearningRateSchedule& schedule,
                                      const std::atomic<bool>* stop, std::size_t& step,
                                      EpochMetrics& metrics);
  // The epoch's metrics once its last step is done: evaluation, probes' summary, parameters.
  void finish_epoch(EpochMetrics& metrics);
  std::vector<std::pair<std::string, double>> activation_parameter_means() const;
  // Where a non-finite gradient sits, or "" if all are finite.
  std::string find_non_finite_gradient() const;
  // The state after `epoch` (`step` optimizer steps, `elapsed` seconds of wall time).
  Checkpoint checkpoint(std::size_t epoch, std::size_t step, double elapsed) const;

  ExperimentConfig config_;
  const DataSplits& data_;
  std::size_t batch_size_;
  Sequential<float> network_;
  std::unique_ptr<Optimizer> optimizer_;
  Rng layer_rng_;                     // dropout / rrelu / gumbel draws
  std::optional<StepEngine> engine_;  // StepMode::kEngine
  std::optional<Probes> probes_;
  TrainingState state_;
  StepBuffers step_buffers_;
  EarlyStopping early_stopping_;
  // Where run() starts: nothing done, or what resume_from() restored.
  std::vector<EpochMetrics> history_;
  std::size_t steps_done_ = 0;
  double seconds_done_ = 0;

  Matrix<float> x_;  // (eval batch, features): evaluation, and reference steps' batches
  std::vector<std::int32_t> labels_;
  std::vector<std::uint32_t> order_;  // this epoch's permutation of the training set
  std::vector<std::uint32_t> eval_indices_;
};

}  // namespace actlab
