#pragma once
// Which of OpenBLAS's kernel sets runs the GEMMs, and a better one where OpenBLAS fell back.
//
// Debian's OpenBLAS (0.3.21) picks its kernels at load time from the CPU's model number. A CPU
// newer than the library is not in its tables, and it falls back to its oldest x86-64 kernels,
// "Prescott" (SSE3): on a CPU with AVX-512 every GEMM then runs several times slower, silently
// (BENCHMARKS.md). OpenBLAS reads the choice once, from the environment variable OPENBLAS_CORETYPE,
// before main() runs, so the only remedy inside a program is to set it and start the program again.
#include <optional>
#include <string_view>

namespace actlab {

// What the CPU (and the operating system, which must save the wide registers) can run.
struct CpuVectorSupport {
  bool avx2_fma = false;  // AVX2 and FMA3: OpenBLAS's Haswell kernels
  bool avx512 = false;    // AVX-512 F, CD, BW, DQ and VL: its SkylakeX kernels
};

CpuVectorSupport this_cpu_vector_support();

// OpenBLAS's name for the kernel set it chose ("Haswell", "SkylakeX", "Prescott", ...).
std::string_view openblas_kernels();

// The OPENBLAS_CORETYPE that runs faster kernels than `chosen` on `cpu`, or nothing when `chosen`
// already uses the CPU's wide vectors. Only a fallback is replaced: a kernel set older than AVX2
// on a CPU with AVX2 and FMA. A deliberate choice of OpenBLAS (its Zen kernels on AMD, say) stays.
std::optional<std::string_view> better_openblas_coretype(std::string_view chosen,
                                                         CpuVectorSupport cpu);

// For programs, first thing in main(): when OpenBLAS fell back to kernels older than the CPU and
// the user has not set OPENBLAS_CORETYPE, sets it to the better kernel set and executes the program
// again with the same arguments (logging one line on why). Returns only when nothing is to be done
// or the new start failed (then with a warning: the program goes on with the slow kernels). Set
// OPENBLAS_CORETYPE yourself to keep any kernel set.
void restart_with_better_openblas_kernels(char** argv);

}  // namespace actlab
