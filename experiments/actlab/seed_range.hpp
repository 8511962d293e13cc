#pragma once
// One rule for seeds everywhere: a seed is a non-negative 64-bit signed integer, as the
// configuration's `seed` key reads it, so a range of seeds must end at 2^63 - 1 at the latest.
#include <cstdint>
#include <limits>
#include <string>

namespace actlab::cli {

inline constexpr std::uint64_t kLargestSeed = std::numeric_limits<std::int64_t>::max();

// ConfigError unless the `count` seeds first .. first + count - 1 all lie in 0 .. kLargestSeed;
// `source` says where they come from, e.g. "--first-seed 5 --seeds 10".
void check_seed_range(std::uint64_t first, std::uint64_t count, const std::string& source);

}  // namespace actlab::cli
