#pragma once
// Asking the caches for data a loop will read and write soon.
//
// The optimizer's update streams the parameters and its own state (SGD's momentum, Adam's moments)
// from L3 or memory, one slice at a time, and after a row-parallel pass the engine first adds the
// members' gradient shares to each slice, which reads other arrays. Asked for at the start of a
// slice, the update's lines arrive while the shares are added instead of after (BENCHMARKS.md).
#include <cstddef>

namespace actlab {

inline constexpr std::size_t kCacheLineFloats = 64 / sizeof(float);

// Prefetches [data, data + size) for writing (the update writes what it reads), into every cache
// level.
inline void prefetch_for_update(const float* data, std::size_t size) {
  for (std::size_t i = 0; i < size; i += kCacheLineFloats)
    __builtin_prefetch(data + i, 1, 3);
}

}  // namespace actlab
