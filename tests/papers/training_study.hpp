#pragma once
// Running a configs/papers/ study from a test, shortened, and reading what its cells left.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/process.hpp"
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

struct ProbeRow {
  std::size_t step = 0, epoch = 0, layer = 0;
  double value = 0;
};

// The rows of probes.csv for one metric. The first field, the run id, is quoted (it holds commas);
// the others are plain.
inline std::vector<ProbeRow> probe_rows(const std::filesystem::path& run_dir,
                                        const std::string& metric) {
  std::vector<ProbeRow> rows;
  std::istringstream in(read_file(run_dir / "probes.csv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const std::size_t id_end = line[0] == '"' ? line.find('"', 1) + 1 : line.find(',');
    std::istringstream fields(line.substr(id_end + 1));
    std::string step, epoch, layer, name, value;
    std::getline(fields, step, ',');
    std::getline(fields, epoch, ',');
    std::getline(fields, layer, ',');
    std::getline(fields, name, ',');
    std::getline(fields, value, ',');
    if (name != metric) continue;
    rows.push_back({std::stoul(step), std::stoul(epoch), std::stoul(layer), std::stod(value)});
  }
  return rows;
}

inline std::string cell_status(const std::filesystem::path& run_dir) {
  return nlohmann::json::parse(read_file(run_dir / "summary.json")).at("status").get<std::string>();
}

}  // namespace actlab::test
