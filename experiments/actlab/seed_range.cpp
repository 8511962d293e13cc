#include "seed_range.hpp"

#include <algorithm>

#include "actlab/core/error.hpp"

namespace actlab::cli {

void check_seed_range(std::uint64_t first, std::uint64_t count, const std::string& source) {
  if (count == 0) throw ConfigError(source + ": at least one seed is needed");
  if (first <= kLargestSeed && count - 1 <= kLargestSeed - first) return;
  throw ConfigError(source + ": every seed must lie in 0 .. " + std::to_string(kLargestSeed) +
                    " (2^63 - 1), as the configuration's seed does, so the first of " +
                    std::to_string(count) + " seeds can be at most " +
                    std::to_string(kLargestSeed - std::min(count - 1, kLargestSeed)));
}

}  // namespace actlab::cli
