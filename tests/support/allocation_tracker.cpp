#include "support/allocation_tracker.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

// In a file of its own so that no test inlines the replaced operators (GCC then warns about
// new/free pairs it cannot see are consistent).
namespace {

std::atomic<std::size_t> largest{0};
std::atomic<std::size_t> count{0};

void record(std::size_t size) {
  count.fetch_add(1, std::memory_order_relaxed);
  std::size_t seen = largest.load(std::memory_order_relaxed);
  while (size > seen && !largest.compare_exchange_weak(seen, size)) {
  }
}

}  // namespace

void* operator new(std::size_t size) {
  record(size);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  record(size);
  const auto align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a multiple of the alignment.
  if (void* p = std::aligned_alloc(align, (size + align - 1) / align * align + (size ? 0 : align)))
    return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace actlab::test {

void reset_largest_allocation() {
  largest = 0;
}
std::size_t largest_allocation() {
  return largest.load();
}
void reset_allocation_count() {
  count = 0;
}
std::size_t allocation_count() {
  return count.load();
}

}  // namespace actlab::test
