// `actlab run` and the GEMM engines (framework/actlab/core/gemm_engine.hpp): ACTLAB_GEMM picks
// them, run.json records the engine of every product, a CPU that libxsmm cannot generate kernels
// for falls back to OpenBLAS with an info line, and the engine table of `actlab bench` is followed
// only on the CPU it was measured on.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actlab/core/gemm_engine.hpp"
#include "process.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for the actlab processes this test starts, and restores it.
class EnvironmentScope {
 public:
  EnvironmentScope(const char* name, const std::string& value) : name_(name) {
    if (const char* given = std::getenv(name)) saved_ = given;
    ::setenv(name, value.c_str(), 1);
  }
  ~EnvironmentScope() {
    if (saved_)
      ::setenv(name_, saved_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

fs::path write_config(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path file = dir / "c.yaml";
  std::ofstream(file) << "name: tiny\nseed: 1\nthreads: 1\ndata: {dataset: idx, path: "
                      << test::test_path("../data/fixtures/tiny")
                      << ", validation_size: 100}\nmodel: {hidden: [16]}\n"
                         "train: {epochs: 1, batch_size: 32}\n";
  return file;
}

struct Recorded {
  test::Outcome outcome;
  nlohmann::json gemm;  // run.json's "gemm"
};

Recorded run_in(const std::string& name) {
  const fs::path dir = test::scratch_folder("actlab_gemm_engine_cli_test", name);
  Recorded r{test::run({"run", write_config(dir), "--out", dir / "out"}, dir), nullptr};
  if (r.outcome.exit_code == 0) {
    std::ifstream in(dir / "out" / "run.json");
    r.gemm = nlohmann::json::parse(in).at("gemm");
  }
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Products of this run: 196-16-10 on batches of 32 (the last of an epoch 20 long).
const char* const kWeightGradient = "float TN 16x196x32";
const char* const kForward = "float NT 32x16x196";

TEST(GemmEngineRun, RunJsonRecordsTheEngineOfEveryProduct) {
  const EnvironmentScope mode("ACTLAB_GEMM", "libxsmm");
  const Recorded r = run_in("libxsmm");
  ASSERT_EQ(r.outcome.exit_code, 0) << r.outcome.log;
  EXPECT_EQ(r.gemm.at("mode"), "libxsmm");
  const nlohmann::json& engines = r.gemm.at("engines");
  EXPECT_EQ(engines.at(kForward), "openblas") << engines.dump(2);  // no libxsmm kernel
  EXPECT_EQ(engines.at(kWeightGradient), libxsmm_available() ? "libxsmm" : "openblas")
      << engines.dump(2);
  EXPECT_TRUE(engines.contains("float TN 16x196x20")) << "the last, shorter batch";
}

TEST(GemmEngineRun, OpenBlasForEveryProductWhenAsked) {
  const EnvironmentScope mode("ACTLAB_GEMM", "openblas");
  const Recorded r = run_in("openblas");
  ASSERT_EQ(r.outcome.exit_code, 0) << r.outcome.log;
  ASSERT_FALSE(r.gemm.at("engines").empty());
  for (const auto& [shape, engine] : r.gemm.at("engines").items())
    EXPECT_EQ(engine, "openblas") << shape;
  EXPECT_TRUE(contains(r.outcome.log, "GEMM: OpenBLAS for every product")) << r.outcome.log;
}

TEST(GemmEngineRun, AnUnknownEngineIsRefused) {
  const EnvironmentScope mode("ACTLAB_GEMM", "mkl");
  const Recorded r = run_in("unknown");
  EXPECT_EQ(r.outcome.exit_code, 2) << r.outcome.log;
  EXPECT_TRUE(contains(r.outcome.log, "ACTLAB_GEMM=mkl: expected openblas, libxsmm or auto"))
      << r.outcome.log;
}

// LIBXSMM_TARGET=generic makes libxsmm generate nothing, as on a CPU it does not know.
TEST(GemmEngineRun, ACpuWithoutLibxsmmKernelsFallsBackToOpenBlas) {
  const EnvironmentScope mode("ACTLAB_GEMM", "libxsmm");
  const EnvironmentScope target("LIBXSMM_TARGET", "generic");
  const Recorded r = run_in("fallback");
  ASSERT_EQ(r.outcome.exit_code, 0) << r.outcome.log;
  EXPECT_TRUE(contains(r.outcome.log, "OpenBLAS computes every product")) << r.outcome.log;
  for (const auto& [shape, engine] : r.gemm.at("engines").items())
    EXPECT_EQ(engine, "openblas") << shape;
}

TEST(GemmEngineRun, AutoFollowsTheTableOfThisCpuOnly) {
  if (!libxsmm_available()) GTEST_SKIP() << libxsmm_status();
  const fs::path file = test::scratch_folder("actlab_gemm_engine_cli_test", "table") / "t.json";
  const EnvironmentScope mode("ACTLAB_GEMM", "auto");
  const EnvironmentScope table_file("ACTLAB_GEMM_TABLE", file.string());
  GemmEngineTable table;
  table.cpu = this_cpu_model();
  table.engines[*GemmShape::parse(kWeightGradient)] = GemmEngine::kLibxsmm;
  write_gemm_table(file, table);
  const Recorded r = run_in("auto");
  ASSERT_EQ(r.outcome.exit_code, 0) << r.outcome.log;
  EXPECT_EQ(r.gemm.at("mode"), "auto");
  EXPECT_EQ(r.gemm.at("table"), file.string());
  EXPECT_EQ(r.gemm.at("engines").at(kWeightGradient), "libxsmm");
  EXPECT_EQ(r.gemm.at("engines").at("float TN 16x196x20"), "openblas") << "not in the table";

  table.cpu = "another CPU";
  write_gemm_table(file, table);
  const Recorded other = run_in("auto_other_cpu");
  ASSERT_EQ(other.outcome.exit_code, 0) << other.outcome.log;
  EXPECT_TRUE(contains(other.outcome.log, "was measured on another CPU (another CPU)"))
      << other.outcome.log;
  EXPECT_EQ(other.gemm.at("engines").at(kWeightGradient), "openblas");
}

}  // namespace
}  // namespace actlab
