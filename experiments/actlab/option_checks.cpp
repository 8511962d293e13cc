#include "option_checks.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace actlab::cli {

CLI::Validator non_empty_folder() {
  return CLI::Validator(
      [](std::string& folder) {
        return folder.empty() ? std::string("the folder name is empty") : std::string();
      },
      "");
}

CLI::Validator fraction() {
  return CLI::Validator(
      [](std::string& text) {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size())
          return "expected a number between 0 and 1, got '" + text + "'";
        if (!(value >= 0.0 && value <= 1.0))  // NaN fails both comparisons
          return "must be between 0 and 1, got " + text;
        return std::string();
      },
      "in [0, 1]");
}

}  // namespace actlab::cli
