#include "actlab/core/random_fill.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace actlab {
namespace {

// The first and last cells map strictly inside (0, 1): log(u) and log(-log(u)) stay finite.
TEST(RandomFill, ExtremeCellsStayInsideTheOpenInterval) {
  const float lo_f = open_uniform_from_bits<float>(0);
  const float hi_f = open_uniform_from_bits<float>((1u << 23) - 1);
  EXPECT_GT(lo_f, 0.0f);
  EXPECT_LT(hi_f, 1.0f);
  EXPECT_TRUE(std::isfinite(std::log(-std::log(hi_f))));
  EXPECT_TRUE(std::isfinite(std::log(-std::log(lo_f))));
  const double lo_d = open_uniform_from_bits<double>(0);
  const double hi_d = open_uniform_from_bits<double>((std::uint64_t{1} << 52) - 1);
  EXPECT_GT(lo_d, 0.0);
  EXPECT_LT(hi_d, 1.0);
  EXPECT_TRUE(std::isfinite(std::log(-std::log(hi_d))));
}

// 100,001 draws (odd, to use the single-value tail of the float path): inside (0, 1), and the
// Kolmogorov–Smirnov distance to U(0, 1) is below its 0.1% critical value 1.95/√n.
template <typename T>
void check_uniform() {
  std::vector<T> u(100001);
  Rng rng(42);
  fill_uniform_open(rng, std::span<T>(u));
  EXPECT_GT(*std::min_element(u.begin(), u.end()), T{0});
  EXPECT_LT(*std::max_element(u.begin(), u.end()), T{1});
  std::sort(u.begin(), u.end());
  const double n = static_cast<double>(u.size());
  double ks = 0;
  for (std::size_t i = 0; i < u.size(); ++i)
    ks = std::max({ks, std::abs(static_cast<double>(u[i]) - static_cast<double>(i) / n),
                   std::abs(static_cast<double>(u[i]) - static_cast<double>(i + 1) / n)});
  EXPECT_LT(ks, 1.95 / std::sqrt(n));
}

TEST(RandomFill, FloatDrawsAreUniform) {
  check_uniform<float>();
}
TEST(RandomFill, DoubleDrawsAreUniform) {
  check_uniform<double>();
}

}  // namespace
}  // namespace actlab
