#include "actlab/core/gemm.hpp"

#include <cblas.h>
#include <sched.h>

#include <cassert>

extern "C" {
// OpenBLAS extensions (declared here so that any cblas.h alternative works).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace actlab {
namespace {

CBLAS_TRANSPOSE to_cblas(Transpose t) {
  return t == Transpose::kYes ? CblasTrans : CblasNoTrans;
}

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

}  // namespace

template <>
void gemm<float>(Transpose ta, Transpose tb, float alpha, MatrixView<const float> a,
                 MatrixView<const float> b, float beta, MatrixView<float> c) {
  check_shapes(ta, tb, a, b, c);
  const auto k = static_cast<int>(ta == Transpose::kYes ? a.rows : a.cols);
  cblas_sgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), static_cast<int>(c.rows),
              static_cast<int>(c.cols), k, alpha, a.data, static_cast<int>(a.cols), b.data,
              static_cast<int>(b.cols), beta, c.data, static_cast<int>(c.cols));
}

template <>
void gemm<double>(Transpose ta, Transpose tb, double alpha, MatrixView<const double> a,
                  MatrixView<const double> b, double beta, MatrixView<double> c) {
  check_shapes(ta, tb, a, b, c);
  const auto k = static_cast<int>(ta == Transpose::kYes ? a.rows : a.cols);
  cblas_dgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), static_cast<int>(c.rows),
              static_cast<int>(c.cols), k, alpha, a.data, static_cast<int>(a.cols), b.data,
              static_cast<int>(b.cols), beta, c.data, static_cast<int>(c.cols));
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

int blas_threads() {
  return openblas_get_num_threads();
}

}  // namespace actlab
