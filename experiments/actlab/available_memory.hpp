#pragma once
// How much memory a run may still take, from what the system says, so that a run or study whose
// memory estimate (actlab/train/memory_estimate.hpp) exceeds it is refused before it allocates.
#include <cstddef>
#include <optional>
#include <string>

namespace actlab::cli {

struct MemoryLimit {
  std::size_t bytes = 0;
  std::string source;  // what set it, for messages: "MemAvailable in /proc/meminfo", ...
};

struct AvailableMemory {
  // Shared by every process on the machine (or in this cgroup): the smaller of MemAvailable in
  // /proc/meminfo and, under a cgroup memory limit, that limit less the cgroup's current usage.
  MemoryLimit shared;
  // This process's own limit, when it has one: RLIMIT_AS (ulimit -v) less its address space now.
  // A study's cells each get their own.
  std::optional<MemoryLimit> per_process;

  // The most one process may take: the smaller of the two.
  const MemoryLimit& for_one_process() const;
};

// Reads the limits now. Where a source cannot be read it is left out; where none can, the shared
// limit is unbounded (SIZE_MAX).
AvailableMemory available_memory();

}  // namespace actlab::cli
