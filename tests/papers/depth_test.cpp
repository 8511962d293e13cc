// configs/papers/depth.yaml, CI-sized: the initial networks only (train.epochs: 0), depth 20, on a
// small data split, with sigmoid and swish (the study's relu-likes train; these two show, already
// at step 0, why the deep plain networks of the study fall behind). Under the study's He
// initialisation:
// - a plain sigmoid network's first-layer gradient is ~1e-10 of its last (σ' ≤ 1/4 per layer);
//   batchnorm and residual blocks keep the two within a factor of ten;
// - a plain swish network passes a shrinking signal both ways (He's gain 2 is for ReLU): every
//   layer's gradient is ~1e-3, hundreds of times below the batchnorm and residual + batchnorm
//   networks' smallest;
// - residual blocks without a norm make the opposite mistake: each adds its output's variance to
//   its input's, and the gradients explode (~1e3) instead (He et al. 2016 put batchnorm in every
//   block).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "cli/process.hpp"
#include "papers/probe_rows.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;
using test::read_file;

// The step-0 values of one metric in probes.csv, by layer.
std::map<int, double> step0(const fs::path& run, const std::string& metric) {
  std::map<int, double> by_layer;
  for (const test::ProbeRow& row : test::read_probe_rows(run / "probes.csv", metric))
    if (row.step == 0) by_layer[row.layer] = row.value;
  return by_layer;
}

struct GradientNorms {
  double first_over_last = 0, smallest = 0, largest = 0;
};

GradientNorms gradient_norms(const fs::path& run) {
  const std::map<int, double> norms = step0(run, "grad_norm_weight");
  // 20 blocks and the output Linear (and the residual networks' projection in front).
  EXPECT_GE(norms.size(), 21u) << run;
  if (norms.empty()) return {};
  GradientNorms g;
  g.first_over_last = norms.begin()->second / norms.rbegin()->second;
  const auto [min, max] = std::minmax_element(
      norms.begin(), norms.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  g.smallest = min->second;
  g.largest = max->second;
  // The summary's vanishing ratio is the same quotient.
  const std::map<int, double> vanishing = step0(run, "vanishing_ratio");
  EXPECT_EQ(vanishing.size(), 1u) << run;
  if (!vanishing.empty()) {
    EXPECT_NEAR(vanishing.begin()->second, g.first_over_last, 1e-5 * g.first_over_last) << run;
  }
  return g;
}

TEST(PapersDepth, BatchnormAndResidualBlocksCarryTheGradientThroughDeepNetworks) {
  const fs::path dir = fs::temp_directory_path() / "actlab_papers_depth_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // The shipped file with a smaller sweep (`--set` cannot name a dotted sweep key).
  std::string yaml = read_file(test::test_path("../configs/papers/depth.yaml"));
  auto replace = [&](const std::string& from, const std::string& to) {
    const std::size_t at = yaml.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
  };
  replace("model.activation: [relu, swish, mish]", "model.activation: [sigmoid, swish]");
  replace("model.depth: [5, 10, 15, 20, 25]", "model.depth: [20]");
  replace("seed: [1, 2]", "seed: [1]");
  std::ofstream(dir / "study.yaml") << yaml;
  const test::Outcome outcome = test::run(
      {"run", (dir / "study.yaml").string(), "--set", "output.dir=" + dir.string(), "--set",
       "train.epochs=0", "--set", "data.train_subset=1000", "--set", "data.validation_size=200",
       "--set", "data.test_subset=200", "--set", "probes.probe_set_size=256", "--threads", "1"},
      dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;

  const std::map<std::string, std::string> variants = {
      {"plain", "repeatlayerslinear128-activation"},
      {"batchnorm", "repeatlayerslinear128-batchnorm-activation"},
      {"residual", "linear128-repeatlayersresidualwidth128_normnone"},
      {"residual+batchnorm", "linear128-repeatlayersresidualwidth128_normbatchnorm"}};
  std::map<std::string, GradientNorms> sigmoid, swish;
  for (const auto& [variant, layers] : variants) {
    const fs::path study = dir / "depth";
    sigmoid[variant] =
        gradient_norms(study / ("layers=" + layers + ",activation=sigmoid,depth=20,seed=1"));
    swish[variant] =
        gradient_norms(study / ("layers=" + layers + ",activation=swish,depth=20,seed=1"));
    std::cout << variant << ": sigmoid first/last " << sigmoid[variant].first_over_last
              << "; swish gradient norms " << swish[variant].smallest << " .. "
              << swish[variant].largest << "\n";
  }

  EXPECT_LT(sigmoid["plain"].first_over_last, 1e-6);  // measured 2.4e-10
  for (const char* variant : {"batchnorm", "residual", "residual+batchnorm"}) {
    EXPECT_GT(sigmoid[variant].first_over_last, 0.1) << variant;  // measured 0.5 - 1.3
    EXPECT_LT(sigmoid[variant].first_over_last, 10) << variant;
  }

  EXPECT_LT(swish["plain"].largest, 0.05);  // measured 1.1e-3 .. 3.2e-3
  for (const char* variant : {"batchnorm", "residual+batchnorm"}) {
    EXPECT_GT(swish[variant].smallest, 0.1) << variant;  // measured 0.85, 2.0
    EXPECT_GT(swish[variant].smallest, 30 * swish["plain"].largest) << variant;
  }
  EXPECT_GT(swish["residual"].smallest, 100);  // measured 1.5e3 .. 5.7e3
}

}  // namespace
}  // namespace actlab
