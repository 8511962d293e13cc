#include "actlab/core/subnormals.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace actlab {
namespace {

// Half the smallest normal float: subnormal, unless the thread flushes it to zero. The operands
// are volatile, so that the product is computed at run time under the thread's mode.
float half_of_smallest_normal() {
  volatile float smallest = std::numeric_limits<float>::min();
  volatile float half = 0.5f;
  volatile float product = smallest * half;
  return product;
}

// A subnormal operand: 0.9 · 4·2⁻¹⁴⁹ rounds back to itself when subnormals are kept.
float times_point_nine_of_tiny_subnormal() {
  volatile float tiny = 4 * std::numeric_limits<float>::denorm_min();
  volatile float factor = 0.9f;
  volatile float product = tiny * factor;
  return product;
}

#if defined(__x86_64__) || defined(__SSE2__) || defined(__aarch64__)
TEST(FlushSubnormalsToZero, FlushesInsideTheScopeAndRestoresTheModeAfter) {
  EXPECT_EQ(std::fpclassify(half_of_smallest_normal()), FP_SUBNORMAL);
  EXPECT_EQ(times_point_nine_of_tiny_subnormal(), 4 * std::numeric_limits<float>::denorm_min());
  {
    const FlushSubnormalsToZero flush;
    EXPECT_EQ(half_of_smallest_normal(), 0.0f);
    EXPECT_EQ(times_point_nine_of_tiny_subnormal(), 0.0f);
  }
  EXPECT_EQ(std::fpclassify(half_of_smallest_normal()), FP_SUBNORMAL);
  EXPECT_EQ(times_point_nine_of_tiny_subnormal(), 4 * std::numeric_limits<float>::denorm_min());
}

TEST(FlushSubnormalsToZero, NestedScopesRestoreTheOuterMode) {
  {
    const FlushSubnormalsToZero outer;
    {
      const FlushSubnormalsToZero inner;
      EXPECT_EQ(half_of_smallest_normal(), 0.0f);
    }
    EXPECT_EQ(half_of_smallest_normal(), 0.0f);
  }
  EXPECT_EQ(std::fpclassify(half_of_smallest_normal()), FP_SUBNORMAL);
}
#endif

}  // namespace
}  // namespace actlab
