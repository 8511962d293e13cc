#pragma once
// Running a configs/papers/ study from a test, shortened, and reading what its cells left.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/process.hpp"
#include "papers/probe_rows.hpp"
#include "support/golden.hpp"

namespace actlab::test {

// Runs `actlab run configs/papers/<config>` into a fresh folder under the temporary directory with
// the given `--set` overrides and returns the study's folder (<dir>/<name>).
inline std::filesystem::path run_paper_study(const std::string& config, const std::string& name,
                                             const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("actlab_papers_" + name);
  fs::remove_all(dir);
  std::vector<std::string> args = {"run", test_path("../configs/papers/" + config), "--set",
                                   "output.dir=" + dir.string()};
  for (const std::string& o : overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  const Outcome outcome = run(args, dir);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.log;
  return dir / name;
}

// metrics.jsonl: one object per epoch.
inline std::vector<nlohmann::json> epoch_metrics(const std::filesystem::path& run_dir) {
  std::vector<nlohmann::json> epochs;
  std::istringstream in(read_file(run_dir / "metrics.jsonl"));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) epochs.push_back(nlohmann::json::parse(line));
  return epochs;
}

inline std::string cell_status(const std::filesystem::path& run_dir) {
  return nlohmann::json::parse(read_file(run_dir / "summary.json")).at("status").get<std::string>();
}

}  // namespace actlab::test
