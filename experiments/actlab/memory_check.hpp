#pragma once
// The memory check before a run or a study allocates: its estimate (actlab/train/
// memory_estimate.hpp) against the memory available (available_memory.hpp). A run or cell that
// cannot fit, or a study whose cells cannot run --jobs at once, is refused as a ConfigError (exit
// 2) naming the estimate, the memory available and the keys that drive the estimate.
#include <cstddef>
#include <string>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/train/memory_estimate.hpp"
#include "available_memory.hpp"

namespace actlab::cli {

// Throws ConfigError when `estimate` for `config` exceeds what one process may take; `what` names
// the run in the message ("the run", "cell seed=1").
void check_run_fits(const MemoryEstimate& estimate, const ExperimentConfig& config,
                    const AvailableMemory& available, const std::string& what);

// How many of the cells, whose estimates are `cell_bytes`, may run at once within `shared` bytes:
// the largest k for which the k largest estimates together fit (at least 0, at most all).
std::size_t jobs_that_fit(std::vector<std::size_t> cell_bytes, std::size_t shared);

// "memory estimate for ...:\n  parts...\n  total: X\navailable: Y (source)\n", for --dry-run.
std::string memory_report(const MemoryEstimate& estimate, const AvailableMemory& available);

}  // namespace actlab::cli
