#pragma once
// What a run reports: the metrics of each epoch (one line of metrics.jsonl each) and the run's
// summary (run.json), with their JSON forms.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/probes/probes.hpp"
#include "actlab/train/early_stopping.hpp"

namespace actlab {

enum class RunStatus { kCompleted, kDiverged, kInterrupted };
std::string_view run_status_name(RunStatus status);

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

struct EpochMetrics {
  std::size_t epoch = 0;  // 1-based; 0 for the initial network of an init-only run
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

struct RunResult {
  RunStatus status = RunStatus::kCompleted;
  std::vector<EpochMetrics> epochs;
  // An init-only run (train.epochs: 0): the network as initialised, as "epoch 0".
  std::optional<EpochMetrics> initial;
  std::size_t steps = 0;
  std::string message;                    // why it stopped early, for diverged / interrupted runs
  double seconds = 0;                     // wall time, over every session of a resumed run
  std::optional<double> target_accuracy;  // from the config: reported as epoch_reached_target
  std::optional<EarlyStopping::State> early_stopping;  // when it is on
  bool stopped_early = false;

  nlohmann::json summary() const;
};

}  // namespace actlab
