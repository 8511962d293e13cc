#pragma once
// Reading what `actlab probe-init` leaves, for the tests of configs/papers/.
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/process.hpp"

namespace actlab::test {

// probe_init.csv (run,seed,step,epoch,layer,metric,value) as (layer, metric) -> one value per
// network, in seed order; or a run's probes.csv (run,step,epoch,layer,metric,value): one value per
// probed step, in step order. Network-wide metrics have layer 0.
using ProbeRows = std::map<std::pair<int, std::string>, std::vector<double>>;

inline ProbeRows read_probe_rows(const std::filesystem::path& file) {
  ProbeRows rows;
  std::istringstream lines(read_file(file));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    // The run may be a quoted cell id holding commas; the last four fields never hold one.
    std::vector<std::string> fields;
    std::size_t end = line.size();
    for (int k = 0; k < 4; ++k) {
      const std::size_t comma = line.rfind(',', end - 1);
      fields.insert(fields.begin(), line.substr(comma + 1, end - comma - 1));
      end = comma;
    }
    // fields: epoch, layer, metric, value
    rows[{fields[1].empty() ? 0 : std::stoi(fields[1]), fields[2]}].push_back(std::stod(fields[3]));
  }
  return rows;
}

inline double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values)
    sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

}  // namespace actlab::test
