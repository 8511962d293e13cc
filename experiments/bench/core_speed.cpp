#include "core_speed.hpp"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <thread>
#include <utility>

#include "actlab/core/gemm.hpp"
#include "actlab/core/matrix.hpp"

namespace actlab::bench {
namespace {

constexpr std::size_t kSize = 256;  // 3 × 256 KB of operands: in a core's L2 on current CPUs

// GFLOP/s of repeated kSize³ products on the calling thread, for about `seconds`.
double sgemm_gflops(double seconds) {
  Matrix<float> a(kSize, kSize), b(kSize, kSize), c(kSize, kSize);
  a.fill(1.0f / kSize);
  b.fill(1.0f);
  auto product = [&] {
    gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, std::as_const(a).view(),
                std::as_const(b).view(), 0.0f, c.view());
  };
  product();  // pages, caches and OpenBLAS's buffer
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::size_t products = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 8; ++i)
      product();
    products += 8;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * kSize * kSize * kSize * static_cast<double>(products) / elapsed * 1e-9;
}

}  // namespace

std::vector<double> core_sgemm_gflops(double seconds) {
  set_blas_threads(1);
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return {};
  std::vector<double> gflops;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    double measured = 0;
    // A thread of its own, pinned to the core; the calling thread keeps its affinity.
    std::thread pinned([&] {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0)
        measured = sgemm_gflops(seconds);
    });
    pinned.join();
    gflops.push_back(measured);
  }
  return gflops;
}

}  // namespace actlab::bench
