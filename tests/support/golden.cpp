#include "support/golden.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace actlab::test {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

}  // namespace

std::string test_path(const std::string& relative) {
  return std::string(ACTLAB_TEST_DIR) + "/" + relative;
}

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  throw std::runtime_error("golden table has no column '" + name + "'");
}

const std::string& CsvTable::at(std::size_t row, const std::string& name) const {
  return rows.at(row).at(column(name));
}

CsvTable read_golden_csv(const std::string& file) {
  const std::string path = test_path("golden/" + file);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  CsvTable table;
  std::string line;
  if (std::getline(in, line)) table.header = split_csv_line(line);
  while (std::getline(in, line))
    if (!line.empty()) table.rows.push_back(split_csv_line(line));
  return table;
}

double parse_number(const std::string& text) {
  if (text == "nan" || text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  std::size_t used = 0;
  const double value = std::stod(text, &used);
  if (used != text.size()) throw std::runtime_error("not a number: '" + text + "'");
  return value;
}

std::vector<double> parse_numbers(const std::string& text) {
  std::vector<double> values;
  std::istringstream in(text);
  std::string token;
  while (in >> token)
    values.push_back(parse_number(token));
  return values;
}

std::map<std::string, double> parse_params(const std::string& text) {
  std::map<std::string, double> params;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    params[item.substr(0, eq)] = parse_number(item.substr(eq + 1));
  }
  return params;
}

}  // namespace actlab::test
