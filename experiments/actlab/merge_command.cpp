#include "merge_command.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "actlab/core/atomic_file.hpp"
#include "actlab/core/error.hpp"
#include "actlab/experiment/study_summary.hpp"
#include "exit_codes.hpp"

namespace actlab::cli {
namespace {

namespace fs = std::filesystem;

bool same_study(const StudyManifest& a, const StudyManifest& b) {
  if (a.name != b.name || a.cells.size() != b.cells.size() || a.keys.size() != b.keys.size())
    return false;
  for (std::size_t i = 0; i < a.cells.size(); ++i)
    if (a.cells[i].id != b.cells[i].id || a.cells[i].config_digest != b.cells[i].config_digest)
      return false;
  return true;
}

// Copies a run folder into place atomically: into a hidden temporary folder, then renamed.
void copy_run(const fs::path& from, const fs::path& to) {
  std::string hidden = ".";  // appended piecewise: GCC 12 -Wrestrict false positive otherwise
  hidden += to.filename().string();
  hidden += ".merging";
  const fs::path temporary = to.parent_path() / hidden;
  std::error_code error;
  fs::remove_all(temporary, error);
  fs::copy(from, temporary, fs::copy_options::recursive, error);
  if (error)
    throw OutputError(from.string() + ": cannot copy to " + temporary.string() + ": " +
                      error.message());
  fs::remove(temporary / ".lock", error);
  fs::remove_all(to, error);
  fs::rename(temporary, to, error);
  if (error)
    throw OutputError(to.string() + ": cannot put the merged run in place: " + error.message());
}

}  // namespace

int merge_command(const MergeOptions& options) {
  if (options.inputs.empty()) throw ConfigError("merge: give at least one study folder");
  if (!options.out && options.inputs.size() > 1)
    throw ConfigError("merge: several folders need --out, the folder to merge them into");
  const fs::path out = options.out ? *options.out : options.inputs.front();

  std::vector<StudyManifest> manifests;
  for (const auto& dir : options.inputs) {
    manifests.push_back(read_manifest(dir));
    if (!same_study(manifests.front(), manifests.back()))
      throw ResultsError(dir.string() + ": not a shard of the same study as " +
                         options.inputs.front().string() +
                         " (the study name, cells or their configurations differ)");
  }
  const StudyManifest& manifest = manifests.front();
  // Every folder involved, the target too, holds this configuration only: checked before writing.
  for (const auto& dir : options.inputs)
    check_study_folder(dir, manifest, {});
  check_study_folder(out, manifest, {});
  create_output_directory(out);

  std::size_t copied = 0;
  for (const auto& cell : manifest.cells) {
    // The best source: finished beats unfinished; earlier folders win ties.
    const fs::path* best = nullptr;
    CellResult best_result;
    for (const auto& dir : options.inputs) {
      const CellResult r = read_cell_result(dir / cell.id, std::nullopt);
      if (r.status == "pending") continue;
      if (best == nullptr || (r.finished() && !best_result.finished())) {
        best = &dir;
        best_result = r;
      }
    }
    if (best == nullptr) continue;
    const fs::path target = out / cell.id;
    if (fs::weakly_canonical(*best / cell.id) == fs::weakly_canonical(target)) continue;
    const CellResult present = read_cell_result(target, std::nullopt);
    if (present.finished() || (present.status != "pending" && !best_result.finished())) continue;
    copy_run(*best / cell.id, target);
    ++copied;
  }
  write_manifest(out, manifest);
  const std::vector<CellResult> cells = read_study_results(out, manifest, manifest.target_accuracy);
  write_study_tables(out, manifest, cells);

  std::size_t finished = 0;
  std::vector<std::string> missing;
  for (const auto& cell : cells) {
    if (cell.finished())
      ++finished;
    else
      missing.push_back(cell.id + " (" + cell.status + ")");
  }
  std::fputs(
      groups_table(manifest, summarize_groups(manifest, cells), manifest.target_accuracy).c_str(),
      stdout);
  std::fflush(stdout);
  spdlog::info("merged {} folder(s) into {}: {} run folder(s) copied; {} of {} cells finished",
               options.inputs.size(), out.string(), copied, finished, cells.size());
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 10; ++i)
      list += (i ? ", " : "") + missing[i];
    if (missing.size() > 10) list += ", ...";
    spdlog::warn("{} cell(s) not finished: {}", missing.size(), list);
  }
  return kExitOk;
}

}  // namespace actlab::cli
