#pragma once
// JSON as written to the files of a run, a study and a benchmark.
#include <string>

#include <nlohmann/json.hpp>

namespace actlab {

// The text of `value` (one line when indent < 0). Bytes that are not UTF-8 — a Latin-1 folder
// name or argument recorded from the command line — become U+FFFD instead of throwing, so that a
// record is never what stops a run.
inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace actlab
