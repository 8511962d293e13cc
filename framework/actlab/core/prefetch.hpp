#pragma once
// Asking the caches for data a loop will read and write soon.
//
// The optimizer's update streams the parameters and its own state (SGD's momentum, Adam's moments)
// from L3 or memory, one slice at a time, and before each slice the trainer adds the gradient
// shares and sums the gradient, which reads other arrays. Without a request, the update's first
// reads of every slice wait for memory (perf: most of the update's time on the load of the
// momentum buffer); asked for at the start of a slice, the lines arrive while the shares are added.
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
