#pragma once
// Which library computes a matrix product: OpenBLAS, or libxsmm's JIT-generated kernels, chosen per
// product shape. gemm() (gemm.hpp) asks gemm_engine_for() once per product and runs every block of
// it on that engine.
//
// The choice comes from ACTLAB_GEMM, read once:
//   openblas  every product on OpenBLAS;
//   libxsmm   every product libxsmm can generate a kernel for (not a row-major A·Bᵀ, which needs a
//             transposed A in libxsmm's column-major terms, nor alpha ≠ 1 or beta ∉ {0, 1});
//   auto      (the default) per shape, from the engine table `actlab bench --save-gemm-table`
//             measures on this machine; OpenBLAS for shapes the table lacks, or without a table.
// A choice fixed ahead, rather than a timing at start-up, keeps runs bit-identical: the engines
// round differently, and a timing could pick another engine the next time.
#include <compare>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actlab/core/gemm.hpp"

namespace actlab {

enum class GemmEngine { kOpenBlas, kLibxsmm };
enum class GemmEngineMode { kOpenBlas, kLibxsmm, kAuto };

const char* engine_name(GemmEngine engine);  // "openblas", "libxsmm"
const char* mode_name(GemmEngineMode mode);  // "openblas", "libxsmm", "auto"

// A product as gemm() takes it: C (m × n) = op(A) op(B) with inner dimension k, row-major.
struct GemmShape {
  bool is_double = false;
  Transpose ta = Transpose::kNo, tb = Transpose::kNo;
  std::size_t m = 0, n = 0, k = 0;
  auto operator<=>(const GemmShape&) const = default;
  std::string text() const;  // "float NT 128x256x784" (m x n x k)
  static std::optional<GemmShape> parse(const std::string& text);
};

// The measured choice for each shape, and the machine it was measured on.
struct GemmEngineTable {
  std::string cpu;                            // this_cpu_model() where it was measured
  std::map<GemmShape, GemmEngine> engines;    // the faster engine of each shape
  std::map<GemmShape, std::string> measured;  // "openblas 96.1, libxsmm 108.4 GFLOP/s"
};

// The CPU's model name (/proc/cpuinfo), which a table must match to be used.
std::string this_cpu_model();
// ACTLAB_GEMM_TABLE, else $XDG_CACHE_HOME/actlab/gemm_engines.json, else
// ~/.cache/actlab/gemm_engines.json.
std::filesystem::path default_gemm_table_path();
// Throws Error naming the file when it cannot be read or is not a table.
GemmEngineTable read_gemm_table(const std::filesystem::path& file);
void write_gemm_table(const std::filesystem::path& file, const GemmEngineTable& table);

// Whether libxsmm can generate kernels on this CPU; when not, why (for the info line of a run
// that asked for it).
bool libxsmm_available();
std::string libxsmm_status();  // "libxsmm 1.17.0, kernels for avx512_core", or why not

// The choice gemm() follows. The first call reads ACTLAB_GEMM and, for auto, the table (a table of
// another CPU, or one that cannot be read, is set aside with a warning); throws ConfigError for an
// ACTLAB_GEMM it does not know.
struct GemmEnginePolicy {
  GemmEngineMode mode = GemmEngineMode::kAuto;
  std::optional<GemmEngineTable> table;
  std::string table_source;  // the table's file, or why there is none
};
const GemmEnginePolicy& gemm_engine_policy();
// Replaces the policy (the bench compares engines; tests force one). Not while products run.
void set_gemm_engine_policy(GemmEnginePolicy policy);

// The engine that runs `shape` with `alpha` and `beta` under the current policy.
GemmEngine gemm_engine_for(const GemmShape& shape, double alpha, double beta);

// Every product shape gemm() ran since the policy was set or the record cleared, with its engine
// (run.json's record).
std::map<GemmShape, GemmEngine> gemm_engines_used();
void clear_gemm_engines_used();

// One block of a product on `engine`, row-major, on the calling thread. Returns false, computing
// nothing, when libxsmm has no kernel for it.
bool engine_gemm(GemmEngine engine, Transpose ta, Transpose tb, int m, int n, int k, float alpha,
                 const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);
bool engine_gemm(GemmEngine engine, Transpose ta, Transpose tb, int m, int n, int k, double alpha,
                 const double* a, int lda, const double* b, int ldb, double beta, double* c,
                 int ldc);

}  // namespace actlab
