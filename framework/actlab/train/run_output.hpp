#pragma once
// The folder a run writes into, and how each file gets there (always atomically: temp + rename):
//   config.yaml     the resolved configuration (every default filled in)
//   run.json        what produced the run: versions, git commit, seed, threads, host, start time
//   metrics.jsonl   one JSON object per epoch (pandas.read_json(path, lines=True))
//   probes.csv      the probe table (probes.hpp)
//   checkpoint.bin  the state after the last complete epoch (checkpoint.hpp)
//   summary.json    status (completed / diverged / interrupted) and headline numbers, written last
//   log.txt         the human log of the run, kept in memory and rewritten at every epoch end
// While a RunOutput exists it holds an exclusive lock on the folder (flock on <dir>/.lock), so
// that two processes never write the same run.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/common.h>
#include <nlohmann/json.hpp>

#include "actlab/train/checkpoint.hpp"

namespace actlab {

class RunLogBuffer;

class RunOutput {
 public:
  // Creates the folder and locks it; OutputError if it cannot be created or written, or if
  // another process keeps it locked for more than a few seconds.
  explicit RunOutput(std::filesystem::path dir);
  ~RunOutput();
  RunOutput(const RunOutput&) = delete;
  RunOutput& operator=(const RunOutput&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path(const std::string& file) const { return dir_ / file; }

  void write_text(const std::string& file, const std::string& content) const;
  void write_json(const std::string& file, const nlohmann::json& value) const;
  // Appends one line to metrics.jsonl; the file is rewritten whole (temp + rename) so that a crash
  // never leaves half a line.
  void append_metrics(const nlohmann::json& line);
  // Commits a finished epoch in this order: probes.csv (when `probes_csv` is given), the metrics
  // line, log.txt, then the checkpoint, with the lengths and CRC-32 of the first two filled in.
  // A kill between two writes leaves files at most one epoch ahead of the checkpoint.
  void commit_epoch(const nlohmann::json& metrics, const std::string* probes_csv,
                    Checkpoint checkpoint);

  // What resume() hands back: the results of the epochs the checkpoint covers.
  struct Resumed {
    std::vector<nlohmann::json> metrics;  // one object per epoch
    std::string probes_csv;
  };
  // Continues the folder from `checkpoint`: cuts metrics.jsonl and probes.csv back to the lengths
  // it recorded, after checking their CRC-32, and keeps log.txt. CheckpointError if they do not
  // match the checkpoint.
  Resumed resume(const Checkpoint& checkpoint);
  // Removes the results of an earlier run in the same folder (metrics, probes, checkpoint, summary,
  // log), for a fresh start.
  void clear_results() const;

  // log.txt: a sink collecting the log lines of the run (add it to a logger), and the atomic write
  // of what it holds, done at every epoch commit and by flush_log().
  spdlog::sink_ptr log_sink() const;
  void flush_log() const;

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
  std::string metrics_;
  std::shared_ptr<RunLogBuffer> log_;
};

}  // namespace actlab
