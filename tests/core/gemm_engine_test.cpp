// The GEMM engines (core/gemm_engine.hpp): libxsmm's kernels compute what OpenBLAS computes, to
// float rounding, for every transpose and beta Linear uses, through gemm() as a step calls it (on
// its own and split on a team); the policy gives each shape the engine ACTLAB_GEMM or the engine
// table says; and a table survives a round trip and names its file when it is not one.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/core/gemm_engine.hpp"
#include "actlab/core/matrix.hpp"
#include "actlab/core/rng.hpp"

namespace actlab {
namespace {

// Sets a policy for one test and restores the one before it.
class PolicyScope {
 public:
  explicit PolicyScope(GemmEnginePolicy policy) : saved_(gemm_engine_policy()) {
    set_gemm_engine_policy(std::move(policy));
  }
  ~PolicyScope() { set_gemm_engine_policy(saved_); }

 private:
  GemmEnginePolicy saved_;
};

GemmEnginePolicy only(GemmEngineMode mode) {
  GemmEnginePolicy policy;
  policy.mode = mode;
  return policy;
}

template <typename T>
Matrix<T> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Matrix<T> m(rows, cols);
  Rng rng(seed);
  for (std::size_t i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<T>(rng.uniform(-1, 1));
  return m;
}

struct Product {
  Transpose ta, tb;
  std::size_t m, n, k;
  double beta;
};

// C = op(A) op(B) + beta C under `mode`, on `team` (or the calling thread).
template <typename T>
Matrix<T> product(GemmEngineMode mode, const Product& p, ComputeTeam* team) {
  const PolicyScope scope(only(mode));
  const Matrix<T> a =
      p.ta == Transpose::kYes ? random_matrix<T>(p.k, p.m, 1) : random_matrix<T>(p.m, p.k, 1);
  const Matrix<T> b =
      p.tb == Transpose::kYes ? random_matrix<T>(p.n, p.k, 2) : random_matrix<T>(p.k, p.n, 2);
  Matrix<T> c = random_matrix<T>(p.m, p.n, 3);
  gemm<T>(p.ta, p.tb, T{1}, a.view(), b.view(), static_cast<T>(p.beta), c.view(), team);
  return c;
}

// The three products of Linear (forward A·Wᵀ with beta 1, dW = dZᵀ·A, dA = dZ·W) on shapes of
// the workloads, one too small to split and one with sides that are not multiples of 16.
const Product kProducts[] = {
    {Transpose::kNo, Transpose::kYes, 128, 256, 784, 1.0},
    {Transpose::kYes, Transpose::kNo, 256, 784, 128, 0.0},
    {Transpose::kNo, Transpose::kNo, 128, 256, 256, 0.0},
    {Transpose::kYes, Transpose::kNo, 10, 128, 32, 0.0},
    {Transpose::kNo, Transpose::kNo, 37, 53, 29, 1.0},
    {Transpose::kYes, Transpose::kNo, 70, 90, 300, 1.0},
};

template <typename T>
void expect_engines_agree(T tolerance) {
  if (!libxsmm_available()) GTEST_SKIP() << libxsmm_status();
  ComputeTeam team(2);
  for (const Product& p : kProducts)
    for (ComputeTeam* on : {static_cast<ComputeTeam*>(nullptr), &team}) {
      const GemmShape shape{false, p.ta, p.tb, p.m, p.n, p.k};
      SCOPED_TRACE(shape.text() + (on ? " on a team of 2" : " on one thread"));
      const Matrix<T> blas = product<T>(GemmEngineMode::kOpenBlas, p, on);
      const Matrix<T> xsmm = product<T>(GemmEngineMode::kLibxsmm, p, on);
      for (std::size_t i = 0; i < blas.size(); ++i)
        ASSERT_NEAR(xsmm.data()[i], blas.data()[i],
                    tolerance * static_cast<T>(p.k) * std::max(T{1}, std::abs(blas.data()[i])))
            << "element " << i;
    }
}

TEST(GemmEngines, LibxsmmAgreesWithOpenBlasInFloat) {
  expect_engines_agree<float>(1e-6f);
}

TEST(GemmEngines, LibxsmmAgreesWithOpenBlasInDouble) {
  expect_engines_agree<double>(1e-14);
}

TEST(GemmEngines, EachModeGivesTheShapesItsEngine) {
  if (!libxsmm_available()) GTEST_SKIP() << libxsmm_status();
  const GemmShape forward{false, Transpose::kNo, Transpose::kYes, 128, 256, 784};
  const GemmShape weight_gradient{false, Transpose::kYes, Transpose::kNo, 256, 784, 128};
  const GemmShape input_gradient{false, Transpose::kNo, Transpose::kNo, 128, 784, 256};
  {
    const PolicyScope scope(only(GemmEngineMode::kOpenBlas));
    EXPECT_EQ(gemm_engine_for(weight_gradient, 1, 0), GemmEngine::kOpenBlas);
  }
  {
    const PolicyScope scope(only(GemmEngineMode::kLibxsmm));
    EXPECT_EQ(gemm_engine_for(weight_gradient, 1, 0), GemmEngine::kLibxsmm);
    EXPECT_EQ(gemm_engine_for(input_gradient, 1, 1), GemmEngine::kLibxsmm);
    // libxsmm has no kernel for a row-major A·Bᵀ, nor for alpha ≠ 1 or beta ∉ {0, 1}.
    EXPECT_EQ(gemm_engine_for(forward, 1, 1), GemmEngine::kOpenBlas);
    EXPECT_EQ(gemm_engine_for({true, Transpose::kNo, Transpose::kNo, 8, 8, 8}, 2, 0),
              GemmEngine::kOpenBlas);
    EXPECT_EQ(gemm_engine_for({true, Transpose::kNo, Transpose::kNo, 8, 8, 9}, 1, 0.5),
              GemmEngine::kOpenBlas);
    const auto used = gemm_engines_used();
    EXPECT_EQ(used.size(), 5u);
    EXPECT_EQ(used.at(forward), GemmEngine::kOpenBlas);
  }
  {
    GemmEnginePolicy policy;  // auto, with a table that names one shape
    policy.table.emplace();
    policy.table->engines[weight_gradient] = GemmEngine::kLibxsmm;
    policy.table->engines[input_gradient] = GemmEngine::kOpenBlas;
    const PolicyScope scope(policy);
    EXPECT_EQ(gemm_engine_for(weight_gradient, 1, 0), GemmEngine::kLibxsmm);
    EXPECT_EQ(gemm_engine_for(input_gradient, 1, 0), GemmEngine::kOpenBlas);
    EXPECT_EQ(gemm_engine_for({false, Transpose::kYes, Transpose::kNo, 256, 256, 128}, 1, 0),
              GemmEngine::kOpenBlas)
        << "a shape the table lacks";
  }
  {
    const PolicyScope scope(GemmEnginePolicy{});  // auto without a table: OpenBLAS everywhere
    EXPECT_EQ(gemm_engine_for(weight_gradient, 1, 0), GemmEngine::kOpenBlas);
  }
}

TEST(GemmEngines, AShapeReadsBackFromItsText) {
  const GemmShape shape{true, Transpose::kYes, Transpose::kNo, 10, 256, 128};
  EXPECT_EQ(shape.text(), "double TN 10x256x128");
  EXPECT_EQ(GemmShape::parse(shape.text()), shape);
  for (const char* bad : {"", "float", "float NT 1x2", "float NX 1x2x3", "half NN 1x2x3",
                          "float NN 1x2x3 more", "float NN 1y2x3"})
    EXPECT_FALSE(GemmShape::parse(bad)) << bad;
}

std::filesystem::path scratch_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "actlab_gemm_engine_test";
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(GemmEngines, ATableReadsBackAsWritten) {
  GemmEngineTable table;
  table.cpu = this_cpu_model();
  const GemmShape a{false, Transpose::kYes, Transpose::kNo, 256, 784, 128};
  const GemmShape b{false, Transpose::kNo, Transpose::kYes, 128, 256, 784};
  table.engines = {{a, GemmEngine::kLibxsmm}, {b, GemmEngine::kOpenBlas}};
  table.measured[a] = "openblas 160.0, libxsmm 170.0 GFLOP/s";
  const auto file = scratch_file("sub/dir/table.json");
  std::filesystem::remove_all(file.parent_path());
  write_gemm_table(file, table);
  const GemmEngineTable read = read_gemm_table(file);
  EXPECT_EQ(read.cpu, table.cpu);
  EXPECT_EQ(read.engines, table.engines);
  EXPECT_EQ(read.measured, table.measured);
}

TEST(GemmEngines, AFileThatIsNotATableIsNamed) {
  const auto missing = scratch_file("missing.json");
  std::filesystem::remove(missing);
  EXPECT_THROW(read_gemm_table(missing), Error);
  for (const char* text :
       {"not json", "[]", R"({"cpu": "x"})", R"({"cpu": "x", "shapes": [{"shape": "float"}]})",
        R"({"cpu": "x", "shapes": [{"shape": "float NN 1x2x3", "engine": "mkl"}]})"}) {
    const auto file = scratch_file("bad.json");
    std::ofstream(file) << text;
    try {
      read_gemm_table(file);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace actlab
