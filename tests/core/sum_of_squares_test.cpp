#include "actlab/core/sum_of_squares.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "actlab/core/rng.hpp"

namespace actlab {
namespace {

long double reference(const std::vector<float>& x) {
  long double sum = 0;
  for (float v : x)
    sum += static_cast<long double>(v) * static_cast<long double>(v);
  return sum;
}

// Lengths around the 256-element block and one as long as W2's gradient; magnitudes from 1e-3 to
// 1e3 so that the float blocks add terms of very different sizes. The bound, 1e-6 relative, is what
// the header promises per block.
TEST(SumOfSquares, AgreesWithALongDoubleSum) {
  Rng rng(11);
  for (std::size_t n : {0u, 1u, 255u, 256u, 257u, 1000u, 931338u}) {
    std::vector<float> x(n);
    for (float& v : x)
      v = static_cast<float>(rng.normal() * std::pow(10.0, rng.uniform(-3, 3)));
    const long double want = reference(x);
    const double got = sum_of_squares(x);
    EXPECT_NEAR(got, static_cast<double>(want), 1e-6 * static_cast<double>(want)) << "n = " << n;
    std::vector<double> xd(x.begin(), x.end());
    EXPECT_NEAR(sum_of_squares(xd), static_cast<double>(want), 1e-12 * static_cast<double>(want));
  }
}

// Squares beyond FLT_MAX overflow a float block; the block is summed again in double, so the sum
// stays finite, as the plain double sum is.
TEST(SumOfSquares, ABlockThatOverflowsInFloatIsSummedInDouble) {
  std::vector<float> x(1000, 1e-2f);
  x[300] = 3e20f;
  const double got = sum_of_squares(x);
  ASSERT_TRUE(std::isfinite(got));
  EXPECT_NEAR(got, static_cast<double>(reference(x)), 1e-9 * got);
}

// A vanishing gradient's norm: squares of 1e-21 are subnormal floats (about 1e-42, three
// significant digits) and those of 1e-25 are below the smallest one (1.4e-45), so a float block
// would read them with a few digits or as 0. Such blocks are summed again in double: every
// magnitude gets the bound of normal ones, also beside a normal block.
TEST(SumOfSquares, BlocksWhoseSquaresUnderflowInFloatAreSummedInDouble) {
  for (const float magnitude : {1e-14f, 1e-17f, 1e-21f, 1e-25f, 1e-35f}) {
    Rng rng(12);
    for (std::size_t n : {256u, 1000u, 16384u}) {
      std::vector<float> x(n);
      for (float& v : x)
        v = magnitude * static_cast<float>(rng.uniform(0.5, 2.0));
      const double tiny = static_cast<double>(reference(x));
      EXPECT_NEAR(sum_of_squares(x), tiny, 1e-6 * tiny) << magnitude << ", n = " << n;
      x[n - 1] = 1.0f;  // a normal value in the last block or tail, tiny values before it
      const std::vector<float> before_last_block(x.begin(), x.begin() + (n - 1) / 256 * 256);
      const double want = static_cast<double>(reference(x));
      const double got = sum_of_squares(x);
      EXPECT_NEAR(got, want, 1e-6 * want) << magnitude << ", n = " << n;
      if (!before_last_block.empty()) {
        const double tiny_part = static_cast<double>(reference(before_last_block));
        EXPECT_NEAR(sum_of_squares(before_last_block), tiny_part, 1e-6 * tiny_part);
      }
    }
  }
  const std::vector<float> zeros(1000, 0.0f);
  EXPECT_EQ(sum_of_squares(zeros), 0.0);
}

TEST(SumOfSquares, NanAndInfinityPropagate) {
  std::vector<float> x(600, 1.0f);
  x[400] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(sum_of_squares(x), std::numeric_limits<double>::infinity());
  x[10] = std::numeric_limits<float>::quiet_NaN();  // in a full block and in the tail
  EXPECT_TRUE(std::isnan(sum_of_squares(x)));
  std::vector<float> tail(600, 1.0f);
  tail[599] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(sum_of_squares(tail)));
}

// The trainer feeds each gradient tensor to SumOfSquares in pieces, while it updates them; the
// total must be the one sum_of_squares gives for the whole tensor, to the last bit.
TEST(SumOfSquares, PiecesGiveTheSumOfTheWholeBitForBit) {
  Rng rng(12);
  for (std::size_t n : {0u, 100u, 4096u, 4097u, 10000u, 401408u}) {
    std::vector<float> x(n);
    for (float& v : x)
      v = static_cast<float>(rng.normal() * std::pow(10.0, rng.uniform(-3, 3)));
    for (std::size_t piece : {kSumOfSquaresBlock, 16 * kSumOfSquaresBlock}) {
      SumOfSquares sum;
      for (std::size_t first = 0; first < n; first += piece)
        sum.add(std::span<const float>(x).subspan(first, std::min(piece, n - first)));
      EXPECT_EQ(sum.total(), sum_of_squares(x)) << "n = " << n << ", pieces of " << piece;
    }
  }
}

}  // namespace
}  // namespace actlab
