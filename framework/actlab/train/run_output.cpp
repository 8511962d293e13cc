#include "actlab/train/run_output.hpp"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "actlab/core/atomic_file.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/json_text.hpp"

namespace actlab {

// Log lines of the run, formatted as the terminal shows them (without colours).
class RunLogBuffer : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  void set_text(std::string text) {
    std::lock_guard<std::mutex> lock(mutex_);
    text_ = std::move(text);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t line;
    formatter_->format(message, line);
    text_.append(line.data(), line.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

namespace {

std::string read_whole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first `prefix.bytes` of `file` if they have the recorded CRC-32; CheckpointError otherwise.
std::string matching_prefix(const std::filesystem::path& file, const FilePrefix& prefix,
                            const std::filesystem::path& checkpoint) {
  if (prefix.bytes == 0) return "";
  std::string text = read_whole(file);
  if (text.size() < prefix.bytes ||
      crc32_of(std::string_view(text).substr(0, prefix.bytes)) != prefix.crc32)
    throw CheckpointError(checkpoint.string() + ": " + file.filename().string() +
                          " does not hold the results the checkpoint was written after (" +
                          std::to_string(prefix.bytes) + " bytes expected, " +
                          std::to_string(text.size()) + " found, or different content)");
  text.resize(prefix.bytes);
  return text;
}

// A second process may hold the folder for a moment (a killed run still exiting): wait briefly.
constexpr auto kLockWait = std::chrono::seconds(5);

}  // namespace

RunOutput::RunOutput(std::filesystem::path dir)
    : dir_(std::move(dir)), log_(std::make_shared<RunLogBuffer>()) {
  create_output_directory(dir_);
  const std::filesystem::path lock_file = dir_ / ".lock";
  lock_fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw OutputError(lock_file.string() + ": cannot create the lock file");
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  while (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::close(lock_fd_);
      throw OutputError(dir_.string() + ": another actlab process is writing this run (" +
                        lock_file.string() + " is locked)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  remove_temporary_files(dir_);  // left by a killed run; the lock makes them nobody's
  log_->set_pattern("[%Y-%m-%d %H:%M:%S %l] %v");
}

RunOutput::~RunOutput() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

void RunOutput::write_text(const std::string& file, const std::string& content) const {
  write_file_atomic(path(file), content);
}

void RunOutput::write_json(const std::string& file, const nlohmann::json& value) const {
  write_file_atomic(path(file), json_text(value, 2) + "\n");
}

void RunOutput::append_metrics(const nlohmann::json& line) {
  std::string next = metrics_ + json_text(line) + "\n";
  write_file_atomic(path("metrics.jsonl"), next);
  metrics_ = std::move(next);  // only once it is safely on disk
}

void RunOutput::commit_epoch(const nlohmann::json& metrics, const std::string* probes_csv,
                             Checkpoint checkpoint) {
  if (probes_csv != nullptr) {
    write_text("probes.csv", *probes_csv);
    checkpoint.probes = {probes_csv->size(), crc32_of(*probes_csv)};
  }
  append_metrics(metrics);
  checkpoint.metrics = {metrics_.size(), crc32_of(metrics_)};
  flush_log();
  write_checkpoint(path("checkpoint.bin"), checkpoint);
}

RunOutput::Resumed RunOutput::resume(const Checkpoint& checkpoint) {
  Resumed resumed;
  std::string metrics =
      matching_prefix(path("metrics.jsonl"), checkpoint.metrics, checkpoint.source);
  resumed.probes_csv = matching_prefix(path("probes.csv"), checkpoint.probes, checkpoint.source);
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line))
    resumed.metrics.push_back(nlohmann::json::parse(line));
  if (resumed.metrics.size() != checkpoint.epoch)
    throw CheckpointError(checkpoint.source.string() + ": metrics.jsonl holds " +
                          std::to_string(resumed.metrics.size()) + " epochs, the checkpoint " +
                          std::to_string(checkpoint.epoch));
  write_file_atomic(path("metrics.jsonl"), metrics);
  if (checkpoint.probes.bytes > 0) write_file_atomic(path("probes.csv"), resumed.probes_csv);
  metrics_ = std::move(metrics);
  std::error_code ignored;
  std::filesystem::remove(path("summary.json"), ignored);  // the run is in progress again
  if (std::filesystem::exists(path("log.txt"))) log_->set_text(read_whole(path("log.txt")));
  return resumed;
}

void RunOutput::clear_results() const {
  std::error_code ignored;
  for (const char* file :
       {"metrics.jsonl", "probes.csv", "checkpoint.bin", "summary.json", "log.txt"})
    std::filesystem::remove(path(file), ignored);
}

spdlog::sink_ptr RunOutput::log_sink() const {
  return log_;
}

void RunOutput::flush_log() const {
  write_file_atomic(path("log.txt"), log_->text());
}

}  // namespace actlab
