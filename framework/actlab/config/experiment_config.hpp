#pragma once
// The whole configuration of one training run, as typed structs, and the one place that turns YAML
// into them (load_config) and back (to_yaml, the resolved config recorded with every run).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actlab/data/dataset.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/initializer.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/optim/optimizer.hpp"
#include "actlab/optim/schedule.hpp"
#include "actlab/probes/probes.hpp"
#include "actlab/train/early_stopping.hpp"

namespace actlab {

struct ModelConfig {
  std::vector<std::size_t> hidden = {256, 256};
  // The activation of the `hidden` form, and the default of the list form's bare `activation`
  // entries and residual blocks.
  ActivationConfig activation;
  InitializerSpec init;
  double bias_init = 0.0;
  // model.layers, the explicit list (README "Model layers"); when set, `hidden` is not used.
  std::optional<std::vector<LayerSpec>> layers;
};

enum class ClipMode { kNone, kNorm, kValue, kLayerNorm };

struct ClipConfig {
  ClipMode mode = ClipMode::kNone;
  double max_norm = 1.0;   // kNorm, kLayerNorm
  double norm_type = 2.0;  // 1, 2, ... or +inf
  double value = 1.0;      // kValue
};

struct TrainConfig {
  std::size_t epochs = 5;
  std::size_t batch_size = 128;
  double label_smoothing = 0.0;
  std::size_t eval_batch_size = 2048;  // evaluation only: as large as memory comfortably allows
  EarlyStoppingConfig early_stopping;  // on the validation loss; off unless patience > 0
};

struct OutputConfig {
  std::filesystem::path dir = "runs";  // a run writes to <dir>/<name>/ unless --out is given
};

struct ExperimentConfig {
  std::string name = "run";
  std::uint64_t seed = 1;
  int threads = 0;  // the run's compute team (compute_team.hpp); 0 = all available cores
  // Summaries report the first epoch whose test accuracy reaches this (unset: not reported).
  std::optional<double> target_accuracy;
  DataConfig data;
  ModelConfig model;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  ClipConfig clip;
  TrainConfig train;
  ProbeConfig probes;
  OutputConfig output;
};

// Reads `file`, applies `overrides` ("key.path=value", YAML values) and validates everything.
// Throws ConfigError naming file, line, column and key path.
ExperimentConfig load_config(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides = {});
// Parses an already loaded YAML tree; `source` names it in messages.
ExperimentConfig parse_config(const YAML::Node& root, const std::string& source);
// Sets `key.path` in the tree to the YAML `value`, creating mappings on the way.
void apply_override(YAML::Node& root, const std::string& assignment);
// The resolved configuration, every default filled in.
YAML::Node to_yaml(const ExperimentConfig& config);

std::string_view clip_mode_name(ClipMode mode);

// The part of the resolved configuration that determines the numbers a run produces, as YAML text:
// everything but name, threads, output and target_accuracy. A checkpoint records it, so that a run
// is never resumed under a different configuration.
std::string training_fingerprint(const ExperimentConfig& config);
// The first key at which two configurations (YAML text, e.g. fingerprints) differ, as
// "train.epochs is 3 before, 5 now"; "" if none is found.
std::string config_difference(const std::string& before, const std::string& now);
// A short digest of training_fingerprint (16 hex digits, FNV-1a 64), recorded in run.json.
std::string config_digest(const ExperimentConfig& config);

}  // namespace actlab
