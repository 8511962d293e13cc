#pragma once
// Reads the PyTorch reference tables in tests/golden/ (copied from ../shared/golden/, see its
// README).
#include <map>
#include <string>
#include <vector>

namespace actlab::test {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  std::size_t column(const std::string& name) const;  // throws if absent
  const std::string& at(std::size_t row, const std::string& name) const;
};

// Parses tests/golden/<file> (RFC 4180 quoting).
CsvTable read_golden_csv(const std::string& file);
// "1.0 -2.5 nan" -> {1.0, -2.5, NaN}; accepts nan, inf, -inf.
std::vector<double> parse_numbers(const std::string& text);
double parse_number(const std::string& text);
// "alpha=0.2,beta=1.0" -> {{"alpha", 0.2}, {"beta", 1.0}}
std::map<std::string, double> parse_params(const std::string& text);

// Absolute path of a file under tests/.
std::string test_path(const std::string& relative);

}  // namespace actlab::test
