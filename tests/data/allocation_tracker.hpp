#pragma once
// The test program that links allocation_tracker.cpp replaces the global operator new to record the
// largest single allocation, so a test can show that memory was not reserved.
#include <cstddef>

namespace actlab::test {

void reset_largest_allocation();
std::size_t largest_allocation();  // bytes, since the last reset

}  // namespace actlab::test
