#include "actlab/core/blas_kernels.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" char* openblas_get_corename(void);

namespace actlab {

CpuVectorSupport this_cpu_vector_support() {
  CpuVectorSupport cpu;
#if defined(__x86_64__) || defined(__i386__)
  // GCC's checks include the operating system's support (XCR0) for the AVX and AVX-512 registers.
  __builtin_cpu_init();
  cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  cpu.avx512 = cpu.avx2_fma && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
  return cpu;
}

std::string_view openblas_kernels() {
  const char* name = openblas_get_corename();
  return name != nullptr ? name : "unknown";
}

std::optional<std::string_view> better_openblas_coretype(std::string_view chosen,
                                                         CpuVectorSupport cpu) {
  if (!cpu.avx2_fma) return std::nullopt;
  // OpenBLAS's x86-64 kernel sets that use AVX2 and FMA or more (its names, as
  // openblas_get_corename gives them; "Zen" runs the Haswell kernels tuned for AMD).
  constexpr std::array<std::string_view, 5> kWideKernels = {"Haswell", "Zen", "SkylakeX",
                                                            "Cooperlake", "SapphireRapids"};
  for (std::string_view wide : kWideKernels)
    if (chosen == wide) return std::nullopt;
  return cpu.avx512 ? "SkylakeX" : "Haswell";
}

void restart_with_better_openblas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string_view chosen = openblas_kernels();
  const std::optional<std::string_view> better =
      better_openblas_coretype(chosen, this_cpu_vector_support());
  if (!better) return;
  spdlog::info(
      "OpenBLAS does not know this CPU and chose its {} kernels; starting again with "
      "OPENBLAS_CORETYPE={}, which the CPU runs several times faster (set OPENBLAS_CORETYPE to "
      "choose yourself)",
      chosen, *better);
  if (::setenv("OPENBLAS_CORETYPE", std::string(*better).c_str(), 1) == 0) {
    ::execv("/proc/self/exe", argv);
    // Not exported to the cells a study starts: all of its runs use the same kernels.
    const int exec_error = errno;
    ::unsetenv("OPENBLAS_CORETYPE");
    errno = exec_error;
  }
  spdlog::warn("could not start again with OPENBLAS_CORETYPE={} ({}); going on with the {} kernels",
               *better, std::strerror(errno), chosen);
}

}  // namespace actlab
