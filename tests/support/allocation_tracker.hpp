#pragma once
// A test program that links allocation_tracker.cpp replaces the global operator new (plain and
// over-aligned; the array and nothrow forms forward to these) to record the number of allocations
// and the largest one, so a test can show that memory was not reserved, or not allocated at all.
// Only the program that links the file is affected; the library and other tests are not.
#include <cstddef>

namespace actlab::test {

void reset_largest_allocation();
std::size_t largest_allocation();  // bytes, since the last reset

void reset_allocation_count();
std::size_t allocation_count();  // calls to operator new, since the last reset

}  // namespace actlab::test
