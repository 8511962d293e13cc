#include "actlab/core/gemm.hpp"

#include <sched.h>

#include <cassert>
#include <cstddef>
#include <type_traits>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/gemm_engine.hpp"

extern "C" {
// OpenBLAS extensions (declared here so that any cblas.h alternative works).
void openblas_set_num_threads(int num_threads);
}

namespace actlab {
namespace {

template <typename T>
void check_shapes([[maybe_unused]] Transpose ta, [[maybe_unused]] Transpose tb,
                  [[maybe_unused]] MatrixView<const T> a, [[maybe_unused]] MatrixView<const T> b,
                  [[maybe_unused]] MatrixView<T> c) {
  [[maybe_unused]] const std::size_t m = ta == Transpose::kYes ? a.cols : a.rows;
  [[maybe_unused]] const std::size_t k = ta == Transpose::kYes ? a.rows : a.cols;
  [[maybe_unused]] const std::size_t kb = tb == Transpose::kYes ? b.cols : b.rows;
  [[maybe_unused]] const std::size_t n = tb == Transpose::kYes ? b.rows : b.cols;
  assert(k == kb && c.rows == m && c.cols == n);
}

// One block of C on `engine`; on OpenBLAS when libxsmm has no kernel for the block.
template <typename T>
void block_gemm(GemmEngine engine, Transpose ta, Transpose tb, int m, int n, int k, T alpha,
                const T* a, int lda, const T* b, int ldb, T beta, T* c, int ldc) {
  if (!engine_gemm(engine, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
    engine_gemm(GemmEngine::kOpenBlas, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Below this many multiply-adds a GEMM runs on the calling thread: splitting it would cost more
// than it saves (a narrow network's 128 × 10 output layer, say).
constexpr std::size_t kMinSplitMultiplyAdds = std::size_t{1} << 18;
// Parts of a split GEMM are multiples of this many rows or columns of C, so that OpenBLAS's
// micro-kernels (16 wide for AVX-512 sgemm) see whole tiles.
constexpr std::size_t kSplitAlign = 16;
// Below this inner dimension a product makes few multiply-adds per element of C, and writing C
// dominates: members writing interleaved column blocks of the same rows then contend for the same
// cache lines, so such products are split by rows (BENCHMARKS.md, "Design decisions").
constexpr std::size_t kShortInner = 32;

// How many parts of whole tiles an extent of C gives `members`.
std::size_t tile_parts(std::size_t extent, std::size_t members) {
  return std::min(members, (extent + kSplitAlign - 1) / kSplitAlign);
}

// Whether a team divides C's columns (else its rows) between `members`.
bool splits_columns(GemmSplit split, std::size_t m, std::size_t n, std::size_t k,
                    std::size_t members) {
  // Splitting C's columns makes every member pack all of op(A) (m × k) and splitting its rows all
  // of op(B) (k × n): kAuto splits the side that copies less, unless C's writing dominates.
  bool columns =
      split == GemmSplit::kAuto ? m <= n && k >= kShortInner : split == GemmSplit::kColumns;
  // A side that cannot give every member a whole tile (a weight gradient's 10 rows, one per
  // class) would leave members idle: the other side is cut instead, if it can be.
  const std::size_t split_parts = tile_parts(columns ? n : m, members);
  if (split_parts < members && tile_parts(columns ? m : n, members) > split_parts)
    columns = !columns;
  return columns;
}

template <typename T>
void team_gemm(Transpose ta, Transpose tb, T alpha, MatrixView<const T> a, MatrixView<const T> b,
               T beta, MatrixView<T> c, ComputeTeam* team, const GemmCompanions& companions) {
  check_shapes(ta, tb, a, b, c);
  const std::size_t m = c.rows, n = c.cols, k = ta == Transpose::kYes ? a.rows : a.cols;
  const auto lda = static_cast<int>(a.cols), ldb = static_cast<int>(b.cols),
             ldc = static_cast<int>(c.cols);
  const GemmEngine engine =
      gemm_engine_for({std::is_same_v<T, double>, ta, tb, m, n, k}, alpha, beta);
  const std::size_t members = team_size(team);
  if (members == 1 || m * n * k < kMinSplitMultiplyAdds) {
    if (companions.prepare) companions.prepare({0, m, 0, n});
    block_gemm(engine, ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
               a.data, lda, b.data, ldb, beta, c.data, ldc);
    if (companions.alongside) companions.alongside(0, 1);
    return;
  }
  // Each member computes a block of C.
  const bool split_columns = splits_columns(companions.split, m, n, k, members);
  const std::size_t extent = split_columns ? n : m;
  const std::size_t parts = tile_parts(extent, members);
  auto task = [&](int member) {
    const auto part = static_cast<std::size_t>(member);
    if (part >= parts) return;
    const auto [begin, end] = part_range(extent, parts, kSplitAlign, part);
    if (begin < end) {
      const auto size = static_cast<int>(end - begin);
      const MatrixBlock block =
          split_columns ? MatrixBlock{0, m, begin, end} : MatrixBlock{begin, end, 0, n};
      if (companions.prepare) companions.prepare(block);
      if (split_columns) {
        const T* b_part = tb == Transpose::kYes ? b.row(begin) : b.data + begin;
        block_gemm(engine, ta, tb, static_cast<int>(m), size, static_cast<int>(k), alpha, a.data,
                   lda, b_part, ldb, beta, c.data + begin, ldc);
      } else {
        const T* a_part = ta == Transpose::kYes ? a.data + begin : a.row(begin);
        block_gemm(engine, ta, tb, size, static_cast<int>(n), static_cast<int>(k), alpha, a_part,
                   lda, b.data, ldb, beta, c.row(begin), ldc);
      }
    }
    if (companions.alongside) companions.alongside(part, parts);
  };
  team->run(task);
}

}  // namespace

template <>
void gemm<float>(Transpose ta, Transpose tb, float alpha, MatrixView<const float> a,
                 MatrixView<const float> b, float beta, MatrixView<float> c, ComputeTeam* team,
                 const GemmCompanions& companions) {
  team_gemm(ta, tb, alpha, a, b, beta, c, team, companions);
}

template <>
void gemm<double>(Transpose ta, Transpose tb, double alpha, MatrixView<const double> a,
                  MatrixView<const double> b, double beta, MatrixView<double> c, ComputeTeam* team,
                  const GemmCompanions& companions) {
  team_gemm(ta, tb, alpha, a, b, beta, c, team, companions);
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return 1;
}

void set_blas_threads(int threads) {
  openblas_set_num_threads(threads > 0 ? threads : available_cores());
}

}  // namespace actlab
