#pragma once
// The whole configuration of one training run, as typed structs, and the one place that turns YAML
// into them (load_config) and back (to_yaml, the resolved config recorded with every run). Each
// section lists its keys once (config/sections/, field_rules.hpp); that list drives both ways.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actlab/config/field_rules.hpp"
#include "actlab/config/sections/activations_section.hpp"
#include "actlab/config/sections/clip_section.hpp"
#include "actlab/config/sections/data_section.hpp"
#include "actlab/config/sections/model_section.hpp"
#include "actlab/config/sections/optimizer_section.hpp"
#include "actlab/config/sections/output_section.hpp"
#include "actlab/config/sections/probes_section.hpp"
#include "actlab/config/sections/schedule_section.hpp"
#include "actlab/config/sections/train_section.hpp"

namespace actlab {

struct ExperimentConfig {
  std::string name = "run";
  std::uint64_t seed = 1;
  int threads = 0;  // the run's compute team (compute_team.hpp); 0 = all available cores
  // Summaries report the first epoch whose test accuracy reaches this (unset: not reported).
  std::optional<double> target_accuracy;
  FormulaLibrary activations;  // the `activations:` section: formulas usable by name
  DataConfig data;
  ModelConfig model;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  ClipConfig clip;
  TrainConfig train;
  ProbeConfig probes;
  OutputConfig output;

  bool operator==(const ExperimentConfig&) const = default;
};

// The top level: its own keys, then one section each (config/sections/).
template <>
struct SectionFields<ExperimentConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("name", c.name,
      must_be("a non-empty name without '/' (it names the output folder)",
              [](const std::string& name) {
                return !name.empty() && name.find('/') == std::string::npos && name != "." &&
                       name != "..";
              }));
    v("seed", c.seed,
      must_be("a non-negative integer", [](std::int64_t seed) { return seed >= 0; }));
    v("threads", c.threads, must_be("0 (all cores) or a thread count", [](std::int64_t threads) {
        return threads >= 0 && threads <= 1024;
      }));
    v("target_accuracy", c.target_accuracy,
      must_be("in (0, 1]", [](double accuracy) { return accuracy > 0 && accuracy <= 1; }),
      written_when_unset([] { return YAML::Node(YAML::NodeType::Null); }));
    v("activations", c.activations, ActivationLibraryField{});
    v("data", c.data);
    v("model", c.model);
    v("optimizer", c.optimizer);
    v("schedule", c.schedule,
      fails_if(
          [&c](const ScheduleConfig& schedule) {
            return schedule.name == "cosine" && schedule.min_lr > c.optimizer.learning_rate;
          },
          "the cosine schedule decays from optimizer.learning_rate down to min_lr: min_lr must "
          "not be above the learning rate",
          "min_lr"));
    v("clip", c.clip);
    v("train", c.train,
      fails_if(
          [&c](const TrainConfig& train) {
            return train.early_stopping.enabled() && c.data.validation_size == 0;
          },
          "early stopping watches the validation loss: it needs data.validation_size > 0",
          "early_stopping.patience"));
    v("probes", c.probes);
    v("output", c.output);
  }
};

// Reads `file`, applies `overrides` ("key.path=value", YAML values) and validates everything.
// Throws ConfigError naming file, line, column and key path.
ExperimentConfig load_config(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides = {});
// Parses an already loaded YAML tree; `source` names it (and the overrides put in it) in messages.
ExperimentConfig parse_config(const YAML::Node& root, const ConfigSource& source);
// Sets `key.path` in the tree to the YAML `value`, creating mappings on the way, and returns the
// value's node. A key given twice in the value is a ConfigError naming the override.
YAML::Node apply_override(YAML::Node& root, const std::string& assignment);
// Applies each of `overrides` in turn and records them in `source`, so that an error in one of
// their values names the override rather than a place in the file.
void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     ConfigSource& source);
// The resolved configuration, every default filled in.
YAML::Node to_yaml(const ExperimentConfig& config);

// The part of the resolved configuration that determines the numbers a run produces, as YAML text:
// everything but name, threads, output and target_accuracy. A checkpoint records it, so that a run
// is never resumed under a different configuration.
std::string training_fingerprint(const ExperimentConfig& config);
// Every key at which two configurations (YAML text, e.g. fingerprints) differ, as
// "train.epochs is 3 before, 5 now; optimizer.learning_rate is 0.05 before, 0.5 now" (the first
// eight named, then "and N more"); "" if none is found.
std::string config_difference(const std::string& before, const std::string& now);
// A short digest of training_fingerprint (16 hex digits, FNV-1a 64), recorded in run.json.
std::string config_digest(const ExperimentConfig& config);

}  // namespace actlab
