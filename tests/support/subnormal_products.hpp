#pragma once
// Products that are subnormal floats unless the calling thread flushes subnormals to zero
// (core/subnormals.hpp). The operands are volatile, so that each product is computed at run time,
// under the thread's mode.
#include <limits>

namespace actlab::test {

// Half the smallest normal float: a subnormal result.
inline float half_of_smallest_normal() {
  volatile float smallest = std::numeric_limits<float>::min();
  volatile float half = 0.5f;
  volatile float product = smallest * half;
  return product;
}

// A subnormal operand: 0.9 · 4·2⁻¹⁴⁹ rounds back to itself when subnormals are kept.
inline float times_point_nine_of_tiny_subnormal() {
  volatile float tiny = 4 * std::numeric_limits<float>::denorm_min();
  volatile float factor = 0.9f;
  volatile float product = tiny * factor;
  return product;
}

}  // namespace actlab::test
