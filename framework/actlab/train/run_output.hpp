#pragma once
// The folder a run writes into, and how each file gets there (always atomically):
//   config.yaml    the resolved configuration (every default filled in)
//   run.json       what produced the run: versions, git commit, seed, threads, host, start time
//   metrics.jsonl  one JSON object per epoch (pandas.read_json(path, lines=True))
//   summary.json   status (completed / diverged / interrupted) and headline numbers, written last
//   log.txt        the human log of the run
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace actlab {

class RunOutput {
 public:
  // Creates the folder; OutputError if it cannot be created or written.
  explicit RunOutput(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path(const std::string& file) const { return dir_ / file; }

  void write_text(const std::string& file, const std::string& content) const;
  void write_json(const std::string& file, const nlohmann::json& value) const;
  // Appends one line to metrics.jsonl; the file is rewritten whole (temp + rename) so that a crash
  // never leaves half a line.
  void append_metrics(const nlohmann::json& line);
  // Removes metrics.jsonl and summary.json left from an earlier run in the same folder.
  void clear_results() const;

 private:
  std::filesystem::path dir_;
  std::string metrics_;
};

}  // namespace actlab
