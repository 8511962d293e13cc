#pragma once
// `actlab merge DIR... [--out OUT]`: combines the folders of a study's shards into one study folder
// and rebuilds its summary.csv and summary_groups.csv. Every DIR must hold the same study (same
// study.json cells). A cell found in several is taken from the first folder where it is finished;
// a cell finished nowhere is copied as far as it got (so `--resume` can continue it in OUT). With
// a single DIR and no --out, the tables are rebuilt in place (shards that shared one folder).
#include <filesystem>
#include <optional>
#include <vector>

namespace actlab::cli {

struct MergeOptions {
  std::vector<std::filesystem::path> inputs;
  std::optional<std::filesystem::path> out;
};

int merge_command(const MergeOptions& options);

}  // namespace actlab::cli
