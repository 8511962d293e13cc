#pragma once
// `actlab summary STUDY_DIR [--target-accuracy X]`: the study's results per group (all swept keys
// but the seed), mean ± std over seeds, as an aligned table on stdout; read from the run folders,
// so it is current even while the study runs.
#include <filesystem>
#include <optional>

namespace actlab::cli {

struct SummaryOptions {
  std::filesystem::path dir;
  std::optional<double> target_accuracy;  // default: the study's target_accuracy
};

int summary_command(const SummaryOptions& options);

}  // namespace actlab::cli
