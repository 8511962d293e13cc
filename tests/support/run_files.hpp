#pragma once
// Reading what a run leaves, for tests that compare two runs.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace actlab::test {

// metrics.jsonl's epochs without the fields that measure time: what must be equal between two runs
// of the same configuration.
inline std::vector<nlohmann::json> metrics_without_timing(const std::filesystem::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    j.erase("seconds");
    j.erase("samples_per_second");
    lines.push_back(j);
  }
  return lines;
}

}  // namespace actlab::test
