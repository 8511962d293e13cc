#pragma once
// A finished run is never taken for one of another configuration: before a run or a study cell is
// skipped as finished (--resume), the folder's configuration is checked against the one given.
#include <filesystem>
#include <string>

#include "actlab/config/experiment_config.hpp"
#include "actlab/experiment/study_summary.hpp"

namespace actlab::cli {

// ConfigError unless the finished run in `dir` (whose result is `result`) was produced by `config`;
// the message names the keys that differ ("train.epochs is 2 before, 4 now") and what to do
// (`remedy`). `config_file`: where `config` comes from, for the message.
void check_same_configuration(const std::filesystem::path& dir, const ExperimentConfig& config,
                              const CellResult& result, const std::string& config_file,
                              const std::string& remedy);

}  // namespace actlab::cli
