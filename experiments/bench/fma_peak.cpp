#include "fma_peak.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace actlab::bench {
namespace {

// Twelve FMAs on twelve independent accumulators per iteration: more than the FMA units' latency ×
// throughput on current cores (two units, four cycles), so the loop runs at the units' rate. In
// assembly so that no compiler can merge, spill or reorder the accumulators.
// clang-format off
#define ACTLAB_FMA(R, ACC) "vfmadd231ps %%" R "1, %%" R "0, %%" R ACC "\n\t"
#define ACTLAB_FMA12(R)                                                                   \
  ACTLAB_FMA(R, "2") ACTLAB_FMA(R, "3") ACTLAB_FMA(R, "4") ACTLAB_FMA(R, "5")             \
  ACTLAB_FMA(R, "6") ACTLAB_FMA(R, "7") ACTLAB_FMA(R, "8") ACTLAB_FMA(R, "9")             \
  ACTLAB_FMA(R, "10") ACTLAB_FMA(R, "11") ACTLAB_FMA(R, "12") ACTLAB_FMA(R, "13")
#define ACTLAB_FMA_LOOP(R)                                                                  \
  __asm__ volatile("vxorps %%xmm0, %%xmm0, %%xmm0\n\t"                                      \
                   "vxorps %%xmm1, %%xmm1, %%xmm1\n\t"                                      \
                   "1:\n\t" ACTLAB_FMA12(R) "dec %0\n\t"                                    \
                   "jnz 1b\n\t"                                                             \
                   "vzeroupper"                                                             \
                   : "+r"(iterations)                                                       \
                   :                                                                        \
                   : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
                     "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc")
// clang-format on

void fma_loop_512(std::int64_t iterations) {
  ACTLAB_FMA_LOOP("zmm");
}
void fma_loop_256(std::int64_t iterations) {
  ACTLAB_FMA_LOOP("ymm");
}

// GFLOP/s of `loop` with `floats` lanes, for about `seconds`.
double loop_gflops(void (*loop)(std::int64_t), int floats, double seconds) {
  using Clock = std::chrono::steady_clock;
  constexpr std::int64_t kChunk = 1 << 22;
  loop(kChunk);  // the clock of a core that was idle rises
  const auto start = Clock::now();
  std::int64_t iterations = 0;
  double elapsed = 0;
  do {
    loop(kChunk);
    iterations += kChunk;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return 12.0 * floats * 2 * static_cast<double>(iterations) / elapsed * 1e-9;
}

}  // namespace

FmaPeak measure_fma_peak(int threads, double seconds) {
  FmaPeak peak;
  void (*loop)(std::int64_t) = nullptr;
  int floats = 0;
  if (__builtin_cpu_supports("avx512f")) {
    peak.vectors = "AVX-512 (16 floats)";
    loop = fma_loop_512;
    floats = 16;
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    peak.vectors = "AVX2 (8 floats)";
    loop = fma_loop_256;
    floats = 8;
  } else {
    peak.vectors = "none";
    return peak;
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return peak;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  // The loop on each of `on` at once, each thread pinned to its core; their rates.
  auto run_on = [&](const std::vector<int>& on) {
    std::vector<double> rates(on.size());
    std::vector<std::thread> pinned;
    for (std::size_t i = 0; i < on.size(); ++i)
      pinned.emplace_back([&, i] {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(on[i], &one);
        if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0)
          rates[i] = loop_gflops(loop, floats, seconds);
      });
    for (std::thread& t : pinned)
      t.join();
    return rates;
  };
  for (int cpu : cpus)
    peak.gflops.push_back(run_on({cpu}).front());
  const std::size_t used = std::min(cpus.size(), static_cast<std::size_t>(std::max(threads, 1)));
  for (double rate : run_on({cpus.begin(), cpus.begin() + static_cast<std::ptrdiff_t>(used)}))
    peak.together += rate;
  return peak;
}

}  // namespace actlab::bench
