#include "data/allocation_tracker.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

// In a file of its own so that no test inlines the replaced operators (GCC then warns about
// new/free pairs it cannot see are consistent).
namespace {
std::atomic<std::size_t> largest{0};
}  // namespace

void* operator new(std::size_t size) {
  std::size_t seen = largest.load(std::memory_order_relaxed);
  while (size > seen && !largest.compare_exchange_weak(seen, size)) {
  }
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace actlab::test {

void reset_largest_allocation() {
  largest = 0;
}
std::size_t largest_allocation() {
  return largest.load();
}

}  // namespace actlab::test
