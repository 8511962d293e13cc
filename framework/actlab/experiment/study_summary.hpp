#pragma once
// What a study folder holds besides its run folders, and the tables made from them:
//   study.json          the manifest: study name, swept keys with their column names, every cell
//                       (run id, values, config digest), target accuracy
//   summary.csv         one row per cell (columns in summary_csv below)
//   summary_groups.csv  one row per group of cells that differ only in the seed: mean, sample std
//                       and count over the completed cells
// All three are derived from the run folders and can be rebuilt at any time (`actlab merge`).
#include <cstddef>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/experiment/sweep.hpp"

namespace actlab {

struct StudyManifest {
  struct Cell {
    std::string id;
    std::vector<std::string> values;  // per key
    std::string config_digest;
  };
  std::string name;
  std::string config_file;
  std::vector<std::string> overrides;
  std::vector<SweptKey> keys;
  std::vector<Cell> cells;
  std::optional<double> target_accuracy;

  static StudyManifest of(const Study& study, const std::string& config_file,
                          const std::vector<std::string>& overrides);
  nlohmann::json to_json() const;
  // ResultsError naming `source` if the JSON is not a manifest.
  static StudyManifest from_json(const nlohmann::json& j, const std::string& source);
  // The keys a group is made of: all swept keys but `seed`.
  std::vector<std::size_t> group_keys() const;
};

void write_manifest(const std::filesystem::path& study_dir, const StudyManifest& manifest);
// ResultsError if <study_dir>/study.json is missing or malformed.
StudyManifest read_manifest(const std::filesystem::path& study_dir);

// A study folder holds one configuration. A cell folder records the configuration that produced
// it: the digest in its run.json (written when the run starts) or summary.json, else that of its
// config.yaml; "" for a folder with none of them.
std::string recorded_digest(const std::filesystem::path& run_dir);
// The training fingerprint of each of the manifest's cells, from its config file and overrides as
// they are now, if they still give the manifest's digests; empty otherwise (or if they cannot be
// read). Only used to name the keys that differ.
std::vector<std::string> manifest_fingerprints(const StudyManifest& manifest);
// ConfigError, naming the first cell and the keys that differ, if `study_dir` holds results of
// another configuration than `expected`: a study.json with other cells or digests, or a cell folder
// that records another digest. `fingerprints` (per cell of `expected`) name the keys; where empty,
// manifest_fingerprints(expected) is tried.
// Reads only, so that a command can check before it writes anything.
void check_study_folder(const std::filesystem::path& study_dir, const StudyManifest& expected,
                        const std::vector<std::string>& fingerprints);

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// One cell's results, read back from its run folder.
struct CellResult {
  std::string id;
  std::vector<std::string> values;
  // completed, diverged, interrupted (from summary.json); incomplete (results but no summary: still
  // running, or killed); pending (nothing yet); failed (set by the runner: the process failed)
  std::string status = "pending";
  std::string message;
  std::string config_digest;  // of the configuration that produced it (run.json)
  std::size_t epochs_completed = 0;
  bool stopped_early = false;
  // NaN where unknown. Final values are those of the last epoch in metrics.jsonl.
  double final_test_accuracy = kMissing;
  double best_test_accuracy = kMissing;
  double best_epoch = kMissing;
  double epoch_reached_target = kMissing;  // first epoch with test accuracy >= target; NaN: never
  double final_train_loss = kMissing;
  double final_validation_loss = kMissing;
  double vanishing_ratio = kMissing;
  double max_dead_fraction = kMissing;
  double mean_saturated_fraction = kMissing;
  double seconds = kMissing;  // wall time of the run
  double samples_per_second = kMissing;

  // completed or diverged: a resumed study does not run it again.
  bool finished() const { return status == "completed" || status == "diverged"; }
};

CellResult read_cell_result(const std::filesystem::path& run_dir,
                            std::optional<double> target_accuracy);
// Every cell of the manifest, in its order.
std::vector<CellResult> read_study_results(const std::filesystem::path& study_dir,
                                           const StudyManifest& manifest,
                                           std::optional<double> target_accuracy);

// summary.csv: run_id, one column per swept key, status, epochs_completed, final_test_accuracy,
// best_test_accuracy, best_epoch, epoch_reached_target, final_train_loss, final_validation_loss,
// vanishing_ratio, max_dead_fraction, mean_saturated_fraction, stopped_early, seconds,
// samples_per_second, message. Empty fields are unknown; RFC 4180 quoting.
std::string summary_csv(const StudyManifest& manifest, const std::vector<CellResult>& cells);

struct Statistic {
  double mean = kMissing;
  double std = kMissing;  // sample standard deviation (n - 1); NaN for n < 2
  std::size_t n = 0;      // cells with a value
};

// The metrics aggregated per group, in table order.
struct SummaryMetric {
  const char* column;  // summary_groups.csv prefix: <column>_mean, _std, _n
  const char* label;   // table header
  double CellResult::*field;
  const char* format;  // printf format of mean and std
};
const std::vector<SummaryMetric>& summary_metrics();

struct GroupSummary {
  std::vector<std::string> values;  // of the group keys
  std::size_t cells = 0, completed = 0, diverged = 0;
  std::vector<Statistic> metrics;  // in summary_metrics() order, over completed cells
};

// Groups in order of first appearance in the grid.
std::vector<GroupSummary> summarize_groups(const StudyManifest& manifest,
                                           const std::vector<CellResult>& cells);
// summary_groups.csv: the group keys, cells, completed, diverged, then <metric>_mean, _std, _n.
std::string groups_csv(const StudyManifest& manifest, const std::vector<GroupSummary>& groups);
// The aligned table `actlab summary` prints: one row per group, "mean ± std" over n seeds.
std::string groups_table(const StudyManifest& manifest, const std::vector<GroupSummary>& groups,
                         std::optional<double> target_accuracy);

// Rewrites summary.csv and summary_groups.csv in the study folder (atomically).
void write_study_tables(const std::filesystem::path& study_dir, const StudyManifest& manifest,
                        const std::vector<CellResult>& cells);

}  // namespace actlab
