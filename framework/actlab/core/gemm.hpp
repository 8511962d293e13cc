#pragma once
// The one place where matrix products happen: every GEMM in actlab goes through `gemm`, which calls
// OpenBLAS (cblas_sgemm / cblas_dgemm).
#include "actlab/core/matrix.hpp"

namespace actlab {

enum class Transpose { kNo, kYes };

// C = alpha * op(A) * op(B) + beta * C, all row-major.
template <typename T>
void gemm(Transpose transpose_a, Transpose transpose_b, T alpha, MatrixView<const T> a,
          MatrixView<const T> b, T beta, MatrixView<T> c);

// Threads OpenBLAS may use; 0 means all available cores.
void set_blas_threads(int threads);
int blas_threads();
// The cores this process may run on (sched_getaffinity), at least 1.
int available_cores();

}  // namespace actlab
