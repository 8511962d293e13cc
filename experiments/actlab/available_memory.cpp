#include "available_memory.hpp"

#include <sys/resource.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace actlab::cli {
namespace {

constexpr std::size_t kKiB = 1024;

// The value of `key` ("MemAvailable:", "VmSize:") in a /proc file of "key value kB" lines.
std::optional<std::size_t> proc_kib_value(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key)) continue;
    std::istringstream fields(line.substr(key.size()));
    std::size_t kib = 0;
    if (fields >> kib) return kib * kKiB;
  }
  return std::nullopt;
}

// A number of bytes in a one-line file ("max" and unreadable files give nothing).
std::optional<std::size_t> bytes_in(const std::string& file) {
  std::ifstream in(file);
  std::uint64_t bytes = 0;
  if (!(in >> bytes)) return std::nullopt;
  return static_cast<std::size_t>(bytes);
}

// The cgroup's memory limit less its usage: cgroup v2 (memory.max, memory.current), else v1.
std::optional<MemoryLimit> cgroup_headroom() {
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroups, line)) {
    if (!line.starts_with("0::")) continue;
    const std::string dir = "/sys/fs/cgroup" + line.substr(3);
    const auto max = bytes_in(dir + "/memory.max");
    const auto current = bytes_in(dir + "/memory.current");
    if (max && current)
      return MemoryLimit{*max > *current ? *max - *current : 0,
                         "the cgroup's memory.max less its memory.current"};
  }
  const auto limit = bytes_in("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  const auto usage = bytes_in("/sys/fs/cgroup/memory/memory.usage_in_bytes");
  // Without a limit, v1 reports the largest page-aligned value: anything beyond 2^62 bytes.
  if (limit && usage && *limit < (std::size_t{1} << 62))
    return MemoryLimit{*limit > *usage ? *limit - *usage : 0,
                       "the cgroup's memory.limit_in_bytes less its usage"};
  return std::nullopt;
}

}  // namespace

const MemoryLimit& AvailableMemory::for_one_process() const {
  return per_process && per_process->bytes < shared.bytes ? *per_process : shared;
}

AvailableMemory available_memory() {
  AvailableMemory available;
  available.shared = {std::numeric_limits<std::size_t>::max(), "no limit found"};
  if (const auto bytes = proc_kib_value("/proc/meminfo", "MemAvailable:"))
    available.shared = {*bytes, "MemAvailable in /proc/meminfo"};
  if (const auto cgroup = cgroup_headroom(); cgroup && cgroup->bytes < available.shared.bytes)
    available.shared = *cgroup;
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const std::size_t used = proc_kib_value("/proc/self/status", "VmSize:").value_or(0);
    const auto cap = static_cast<std::size_t>(limit.rlim_cur);
    available.per_process = MemoryLimit{cap > used ? cap - used : 0,
                                        "the address-space limit (ulimit -v) less its use"};
  }
  return available;
}

}  // namespace actlab::cli
