#pragma once
// Reading the parts of the repository's Markdown pages that the code knows: the text between two
// marker comments, and the rows of a Markdown table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace actlab::test {

inline std::string read_page(const std::string& page) {
  const std::filesystem::path file = std::filesystem::path(ACTLAB_SOURCE_DIR) / page;
  std::ifstream in(file, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << file;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines between the lines `<!-- NAME:begin -->` and `<!-- NAME:end -->`, each ending in '\n'.
// The markers are how a page says "this part is the code's"; a page without them fails.
inline std::string between_markers(const std::string& text, const std::string& name) {
  const std::string begin = "\n<!-- " + name + ":begin -->\n";
  const std::string end = "\n<!-- " + name + ":end -->\n";
  const auto first = text.find(begin);
  EXPECT_NE(first, std::string::npos) << "no " << begin;
  if (first == std::string::npos) return "";
  const auto from = first + begin.size();
  const auto last = text.find(end, from - 1);
  EXPECT_NE(last, std::string::npos) << "no " << end;
  if (last == std::string::npos) return "";
  return text.substr(from, last + 1 - from);
}

// The cells of each row of the Markdown tables in `text`, header rows included and the `|---|`
// lines left out; `\|` in a cell is an escaped bar, and cells are trimmed.
inline std::vector<std::vector<std::string>> table_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '|') continue;
    if (line.find_first_not_of("|-: ") == std::string::npos) continue;  // the header's rule
    std::vector<std::string> cells;
    std::string cell;
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
        cell += '|';
        ++i;
      } else if (line[i] == '|') {
        const auto a = cell.find_first_not_of(' ');
        const auto b = cell.find_last_not_of(' ');
        cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace actlab::test
