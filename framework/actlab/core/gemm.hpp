#pragma once
// The one place where matrix products happen: every GEMM in actlab goes through `gemm`, which runs
// it on OpenBLAS or on libxsmm's kernels, as gemm_engine.hpp chooses for its shape.
#include <cstddef>

#include "actlab/core/function_ref.hpp"
#include "actlab/core/matrix.hpp"

namespace actlab {

enum class Transpose { kNo, kYes };

// Work a team member does around its block of a split GEMM, in the same hand-off. Every pass handed
// to the team costs a wait for its slowest member, and a pass split differently from the GEMM
// reads what another core just wrote; work done here costs neither.
//   prepare(block): before the member computes its block of C (Linear broadcasts its bias into the
//     block that the GEMM then adds to, with beta = 1).
//   alongside(part, parts): after it, independent work cut into as many parts as the GEMM was
//     (Linear sums its bias gradient's columns next to its weight gradient); parts is 1, on the
//     calling thread, when the GEMM is not split.
//   split: which of C's dimensions the members divide between them. kAuto divides the longer one
//     (each member then packs all of the operand along the shorter one, the smaller copy), but
//     the rows when the inner dimension is short (see gemm.cpp). Linear divides a weight
//     gradient's rows, its output units, which measured faster (BENCHMARKS.md). A side too short
//     to give every member a part of whole tiles (a weight gradient's 10 rows) gives way.
enum class GemmSplit { kAuto, kRows, kColumns };
struct GemmCompanions {
  FunctionRef<void(const MatrixBlock&)> prepare;
  FunctionRef<void(std::size_t part, std::size_t parts)> alongside;
  GemmSplit split = GemmSplit::kAuto;
};

class ComputeTeam;

// C = alpha * op(A) * op(B) + beta * C, all row-major. On a team, C is cut in blocks between its
// members, with `companions` run around each block; without one it runs on the calling thread.
template <typename T>
void gemm(Transpose transpose_a, Transpose transpose_b, T alpha, MatrixView<const T> a,
          MatrixView<const T> b, T beta, MatrixView<T> c, ComputeTeam* team = nullptr,
          const GemmCompanions& companions = {});

// Threads OpenBLAS may use; 0 means all available cores.
void set_blas_threads(int threads);
// The cores this process may run on (sched_getaffinity), at least 1.
int available_cores();

}  // namespace actlab
