#include "actlab/core/subnormals.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/subnormal_products.hpp"

namespace actlab {
namespace {

using test::half_of_smallest_normal;
using test::times_point_nine_of_tiny_subnormal;

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
