#include "actlab/core/blas_kernels.hpp"

#include <gtest/gtest.h>

namespace actlab {
namespace {

constexpr CpuVectorSupport kSse = {.avx2_fma = false, .avx512 = false};
constexpr CpuVectorSupport kAvx2 = {.avx2_fma = true, .avx512 = false};
constexpr CpuVectorSupport kAvx512 = {.avx2_fma = true, .avx512 = true};

TEST(BetterOpenBlasCoretype, ReplacesTheFallbackForAnUnknownCpu) {
  // OpenBLAS 0.3.21 on an Intel Xeon of model 207 (AVX-512): "Prescott".
  EXPECT_EQ(better_openblas_coretype("Prescott", kAvx512), "SkylakeX");
  EXPECT_EQ(better_openblas_coretype("Prescott", kAvx2), "Haswell");
  EXPECT_EQ(better_openblas_coretype("Sandybridge", kAvx2), "Haswell");
  EXPECT_EQ(better_openblas_coretype("Barcelona", kAvx512), "SkylakeX");
}

TEST(BetterOpenBlasCoretype, KeepsKernelsThatUseTheWideVectors) {
  for (const char* chosen : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"}) {
    EXPECT_EQ(better_openblas_coretype(chosen, kAvx2), std::nullopt) << chosen;
    EXPECT_EQ(better_openblas_coretype(chosen, kAvx512), std::nullopt) << chosen;
  }
}

TEST(BetterOpenBlasCoretype, KeepsOldKernelsOnAnOldCpu) {
  EXPECT_EQ(better_openblas_coretype("Prescott", kSse), std::nullopt);
  EXPECT_EQ(better_openblas_coretype("Sandybridge", kSse), std::nullopt);
}

TEST(OpenBlasKernels, NamesTheLoadedKernelSet) {
  EXPECT_FALSE(openblas_kernels().empty());
  EXPECT_NE(openblas_kernels(), "unknown");
}

}  // namespace
}  // namespace actlab
