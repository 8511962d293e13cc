#pragma once
// How fast each core of the machine multiplies matrices on its own. Every pass of a training step,
// and every way the GEMM-only limit runs its GEMMs, is split evenly between the threads, so the
// slowest core sets the pace of all of them: on a machine whose cores differ (a virtual machine
// whose virtual CPUs share their physical cores unequally, a laptop with performance and
// efficiency cores) the faster cores wait at the end of every split pass. The split cannot follow
// the cores' speeds: OpenBLAS's results depend on where a product is cut (BENCHMARKS.md), and a
// run must give the same results whatever the machine's speed was at the time.
#include <vector>

namespace actlab::bench {

// Single-threaded SGEMM GFLOP/s of each core this process may run on (in the order of its CPU
// affinity set), measured one core at a time for about `seconds` each, on a 256 × 256 × 256 product
// that stays in the core's caches. Sets OpenBLAS to one thread.
std::vector<double> core_sgemm_gflops(double seconds = 0.1);

}  // namespace actlab::bench
