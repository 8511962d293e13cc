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

// One row of a probes.csv (run,step,epoch,layer,metric,value) or of probe-init's probe_init.csv
// (run,seed,step,epoch,layer,metric,value). Network-wide metrics have layer 0.
struct ProbeRow {
  std::size_t step = 0, epoch = 0;
  int layer = 0;
  std::string metric;
  double value = 0;
};

// Every row of either file, in file order.
inline std::vector<ProbeRow> read_probe_table(const std::filesystem::path& file) {
  std::vector<ProbeRow> rows;
  std::istringstream lines(read_file(file));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    // The run may be a quoted cell id holding commas; the last five fields never hold one.
    std::vector<std::string> fields;
    std::size_t end = line.size();
    for (int k = 0; k < 5; ++k) {
      const std::size_t comma = line.rfind(',', end - 1);
      fields.insert(fields.begin(), line.substr(comma + 1, end - comma - 1));
      end = comma;
    }
    rows.push_back({std::stoul(fields[0]), std::stoul(fields[1]),
                    fields[2].empty() ? 0 : std::stoi(fields[2]), fields[3], std::stod(fields[4])});
  }
  return rows;
}

// The rows of one metric, in file order.
inline std::vector<ProbeRow> read_probe_rows(const std::filesystem::path& file,
                                             const std::string& metric) {
  std::vector<ProbeRow> rows;
  for (ProbeRow& row : read_probe_table(file))
    if (row.metric == metric) rows.push_back(std::move(row));
  return rows;
}

// (layer, metric) -> its values in file order: one per network of a probe_init.csv, in seed order;
// one per probed step of a probes.csv, in step order.
using ProbeRows = std::map<std::pair<int, std::string>, std::vector<double>>;

inline ProbeRows read_probe_rows(const std::filesystem::path& file) {
  ProbeRows rows;
  for (const ProbeRow& row : read_probe_table(file))
    rows[{row.layer, row.metric}].push_back(row.value);
  return rows;
}

inline double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values)
    sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

}  // namespace actlab::test
