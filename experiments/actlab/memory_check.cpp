#include "memory_check.hpp"

#include <algorithm>
#include <functional>
#include <limits>

#include "actlab/core/error.hpp"

namespace actlab::cli {
namespace {

std::string limit_text(const MemoryLimit& limit) {
  if (limit.bytes == std::numeric_limits<std::size_t>::max())
    return "unknown (" + limit.source + ")";
  return format_bytes(static_cast<double>(limit.bytes)) + " (" + limit.source + ")";
}

}  // namespace

void check_run_fits(const MemoryEstimate& estimate, const ExperimentConfig& config,
                    const AvailableMemory& available, const std::string& what) {
  const MemoryLimit& limit = available.for_one_process();
  if (estimate.total() <= limit.bytes) return;
  throw ConfigError(what + " needs about " + format_bytes(static_cast<double>(estimate.total())) +
                    " of memory (" + std::to_string(estimate.parameters) + " parameters; " +
                    memory_keys(config) + ") but " + limit_text(limit) +
                    " is available: reduce the widths or the batch sizes (actlab run --dry-run "
                    "shows the estimate part by part)");
}

std::size_t jobs_that_fit(std::vector<std::size_t> cell_bytes, std::size_t shared) {
  std::sort(cell_bytes.begin(), cell_bytes.end(), std::greater<>());
  std::size_t sum = 0, jobs = 0;
  for (std::size_t bytes : cell_bytes) {
    if (bytes > shared - sum) break;
    sum += bytes;
    ++jobs;
  }
  return jobs;
}

std::string memory_report(const MemoryEstimate& estimate, const AvailableMemory& available) {
  return "memory estimate (" + std::to_string(estimate.parameters) + " parameters):\n" +
         estimate.breakdown() + "available: " + limit_text(available.for_one_process()) + "\n";
}

}  // namespace actlab::cli
