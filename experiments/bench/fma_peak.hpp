#pragma once
// The cores' floating-point peak: the rate of a loop of independent fused multiply-adds on
// registers, at the widest vector width the CPU runs. No training step, and no GEMM, can go faster;
// `actlab bench` reports each workload as a share of it.
#include <string>
#include <vector>

namespace actlab::bench {

struct FmaPeak {
  std::string vectors;         // "AVX-512 (16 floats)", "AVX2 (8 floats)", or "none"
  std::vector<double> gflops;  // single-precision GFLOP/s of each core alone, in affinity order
  double together = 0;         // the first `threads` cores at once (cores that share units lose)
};

// Each core this process may run on alone, then the first `threads` of them at once, on threads
// pinned to them, for about `seconds` each.
FmaPeak measure_fma_peak(int threads, double seconds = 0.2);

}  // namespace actlab::bench
