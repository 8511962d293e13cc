#include "summary_command.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>

#include "actlab/core/error.hpp"
#include "actlab/experiment/study_summary.hpp"
#include "exit_codes.hpp"

namespace actlab::cli {

int summary_command(const SummaryOptions& options) {
  const StudyManifest manifest = read_manifest(options.dir);
  check_study_folder(options.dir, manifest, {});
  const std::optional<double> target =
      options.target_accuracy ? options.target_accuracy : manifest.target_accuracy;
  const std::vector<CellResult> cells = read_study_results(options.dir, manifest, target);
  std::fputs(groups_table(manifest, summarize_groups(manifest, cells), target).c_str(), stdout);
  std::fflush(stdout);

  std::map<std::string, std::size_t> statuses;
  for (const auto& cell : cells)
    ++statuses[cell.status];
  std::string counts;
  for (const auto& [status, n] : statuses)
    counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  spdlog::info(
      "study {}: {} cells: {}; mean ± sample std over the completed cells of each group{}",
      manifest.name, cells.size(), counts,
      target ? "; epoch to target: first epoch with test accuracy >= " + std::to_string(*target)
             : std::string());
  return kExitOk;
}

}  // namespace actlab::cli
