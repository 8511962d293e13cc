// configs/papers/depth.yaml, CI-sized: the initial networks only (train.epochs: 0), depth 20,
// relu, on a small data split. The finding that holds at any scale: gradients reach the first
// layer of a deep plain network only as well as the initialisation lets them, while batchnorm and
// residual blocks carry them there regardless. With a too-small initialisation (`standard`,
// U(±1/√fan_in)), the plain network's first/last gradient-norm ratio collapses by orders of
// magnitude; batchnorm renormalises every layer and the residual path is the identity, so theirs
// stay near 1.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "cli/process.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;
using test::read_file;

// The step-0 rows of probes.csv (run,step,epoch,layer,metric,value) for one metric, by layer.
std::map<int, double> step0(const fs::path& run, const std::string& metric) {
  std::istringstream csv(read_file(run / "probes.csv"));
  std::map<int, double> by_layer;
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    // The run id is quoted (it holds commas): the fields that matter follow its closing quote.
    const std::size_t quote = line.rfind('"');
    std::istringstream fields(line.substr(quote == std::string::npos ? 0 : quote + 1));
    std::string run_id, step, epoch, layer, name, value;
    if (quote == std::string::npos) std::getline(fields, run_id, ',');
    else fields.ignore(1);
    std::getline(fields, step, ',');
    std::getline(fields, epoch, ',');
    std::getline(fields, layer, ',');
    std::getline(fields, name, ',');
    std::getline(fields, value, ',');
    if (step == "0" && name == metric)
      by_layer[layer.empty() ? 0 : std::stoi(layer)] = std::stod(value);
  }
  return by_layer;
}

TEST(PapersDepth, NormalisationAndResidualBlocksCarryGradientsThroughAPoorlyInitialisedNet) {
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
  replace("model.activation: [relu, swish, mish]", "model.activation: [relu]");
  replace("model.depth: [5, 10, 15, 20, 25]", "model.depth: [20]");
  std::ofstream(dir / "study.yaml") << yaml;
  const test::Outcome outcome = test::run(
      {"run", (dir / "study.yaml").string(), "--set", "output.dir=" + dir.string(), "--set",
       "train.epochs=0", "--set", "model.init=standard", "--set", "data.train_subset=1000",
       "--set", "data.validation_size=200", "--set", "data.test_subset=200", "--set",
       "probes.probe_set_size=256", "--threads", "1"},
      dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;

  const fs::path study = dir / "depth";
  const std::map<std::string, std::string> variants = {
      {"plain", "layers=repeatlayerslinear128-activation,activation=relu,depth=20"},
      {"batchnorm", "layers=repeatlayerslinear128-batchnorm-activation,activation=relu,depth=20"},
      {"residual",
       "layers=linear128-repeatlayersresidualwidth128_normnone,activation=relu,depth=20"},
      {"residual_bn",
       "layers=linear128-repeatlayersresidualwidth128_normbatchnorm,activation=relu,depth=20"}};
  std::map<std::string, double> ratio;
  for (const auto& [variant, id] : variants) {
    const std::map<int, double> norms = step0(study / id, "grad_norm_weight");
    // 20 blocks + the output Linear, and the residual networks' projection in front.
    ASSERT_GE(norms.size(), 21u) << variant;
    ratio[variant] = norms.begin()->second / norms.rbegin()->second;
    const std::map<int, double> vanishing = step0(study / id, "vanishing_ratio");
    ASSERT_EQ(vanishing.size(), 1u) << variant;
    EXPECT_NEAR(vanishing.begin()->second, ratio[variant], 1e-6 * ratio[variant]) << variant;
  }
  for (const auto& [variant, value] : ratio)
    std::cout << variant << ": first/last gradient-norm ratio " << value << "\n";
  EXPECT_LT(ratio["plain"], 1e-4);
  for (const char* healthy : {"batchnorm", "residual", "residual_bn"}) {
    EXPECT_GT(ratio[healthy], 0.01) << healthy;
    EXPECT_GT(ratio[healthy], 1000 * ratio["plain"]) << healthy;
  }
}

}  // namespace
}  // namespace actlab
