#include "actlab/core/matrix.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "actlab/core/gemm.hpp"
#include "actlab/core/rng.hpp"

namespace actlab {
namespace {

TEST(Matrix, StorageIsAlignedAndZeroed) {
  Matrix<float> m(3, 5);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.data()) % kAlignment, 0u);
  for (std::size_t i = 0; i < m.size(); ++i)
    EXPECT_EQ(m.data()[i], 0.0f);
}

TEST(Matrix, ShrinkingKeepsTheAllocation) {
  Matrix<float> m(8, 4);
  const float* before = m.data();
  m.resize(3, 4);
  EXPECT_EQ(m.data(), before);
  EXPECT_EQ(m.rows(), 3u);
  m.resize(8, 4);
  EXPECT_EQ(m.data(), before);
}

TEST(Matrix, RowRangeViewsShareStorage) {
  Matrix<double> m(4, 2);
  for (std::size_t i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<double>(i);
  MatrixView<double> rows = m.view().row_range(1, 2);
  EXPECT_EQ(rows.rows, 2u);
  EXPECT_EQ(rows(0, 0), 2.0);
  EXPECT_EQ(rows(1, 1), 5.0);
}

// Checks the one GEMM entry point against a naive triple loop for every transpose combination.
template <typename T>
void check_gemm(Transpose ta, Transpose tb) {
  Rng rng(3);
  const std::size_t m = 5, n = 4, k = 3;
  Matrix<T> a(ta == Transpose::kYes ? k : m, ta == Transpose::kYes ? m : k);
  Matrix<T> b(tb == Transpose::kYes ? n : k, tb == Transpose::kYes ? k : n);
  Matrix<T> c(m, n);
  for (std::size_t i = 0; i < a.size(); ++i)
    a.data()[i] = static_cast<T>(rng.normal());
  for (std::size_t i = 0; i < b.size(); ++i)
    b.data()[i] = static_cast<T>(rng.normal());
  for (std::size_t i = 0; i < c.size(); ++i)
    c.data()[i] = static_cast<T>(rng.normal());
  Matrix<T> expected = c;
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double sum = 0;
      for (std::size_t p = 0; p < k; ++p) {
        const double av = ta == Transpose::kYes ? a(p, i) : a(i, p);
        const double bv = tb == Transpose::kYes ? b(j, p) : b(p, j);
        sum += av * bv;
      }
      expected(i, j) = static_cast<T>(2.0 * sum + 0.5 * static_cast<double>(expected(i, j)));
    }
  gemm<T>(ta, tb, T{2}, a.view(), b.view(), T{0.5}, c.view());
  for (std::size_t i = 0; i < c.size(); ++i)
    EXPECT_NEAR(c.data()[i], expected.data()[i], 1e-5) << "element " << i;
}

TEST(Gemm, MatchesNaiveProductForEveryTransposeCombination) {
  for (Transpose ta : {Transpose::kNo, Transpose::kYes})
    for (Transpose tb : {Transpose::kNo, Transpose::kYes}) {
      check_gemm<float>(ta, tb);
      check_gemm<double>(ta, tb);
    }
}

TEST(Rng, SameSeedSameStreamAndStreamsDiffer) {
  Rng a(42), b(42), c = Rng::stream(42, 1);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Rng(42).next(), c.next());
}

TEST(Rng, UniformAndNormalMoments) {
  Rng rng(1);
  const int n = 200000;
  double sum = 0, sum_sq = 0, usum = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum_sq += z * z;
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    usum += u;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.01);
  EXPECT_NEAR(usum / n, 0.5, 0.005);
}

TEST(Rng, BelowIsInRange) {
  Rng rng(9);
  for (int i = 0; i < 10000; ++i)
    ASSERT_LT(rng.below(7), 7u);
}

}  // namespace
}  // namespace actlab
