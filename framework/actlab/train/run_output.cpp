#include "actlab/train/run_output.hpp"

#include "actlab/core/atomic_file.hpp"

namespace actlab {

RunOutput::RunOutput(std::filesystem::path dir) : dir_(std::move(dir)) {
  create_output_directory(dir_);
}

void RunOutput::write_text(const std::string& file, const std::string& content) const {
  write_file_atomic(path(file), content);
}

void RunOutput::write_json(const std::string& file, const nlohmann::json& value) const {
  write_file_atomic(path(file), value.dump(2) + "\n");
}

void RunOutput::append_metrics(const nlohmann::json& line) {
  std::string next = metrics_ + line.dump() + "\n";
  write_file_atomic(path("metrics.jsonl"), next);
  metrics_ = std::move(next);  // only once it is safely on disk
}

void RunOutput::clear_results() const {
  std::error_code ignored;
  std::filesystem::remove(path("metrics.jsonl"), ignored);
  std::filesystem::remove(path("summary.json"), ignored);
}

}  // namespace actlab
