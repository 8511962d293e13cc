// configs/papers/lu_dying_relu.yaml, CI-sized: Lu et al. (2019)'s probability that a ReLU network
// with zero biases and symmetric weights is born dead on one input, 1 − (1 − 2^−N)^H for H = 9
// hidden layers of width N, against the fraction counted over many initialisations. The tiny
// fixture's one training image is the input (the formula holds for any input that is not all
// zeros) and 400 networks per width instead of the study's 10,000; 2,000 for width 10, whose p is
// below 1 %: with 400 networks, 3.5 expected, a count of 0 would lie within three standard errors,
// so the check could not fail from below.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "papers/probe_rows.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

constexpr int kHiddenLayers = 9;

// Runs probe-init on the shipped study, its width sweep cut to `widths`, with `networks` seeds.
test::Outcome probe_widths(const fs::path& dir, const std::string& widths, int networks) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string yaml = test::read_file(test::test_path("../configs/papers/lu_dying_relu.yaml"));
  const std::string sweep = "model.width: [2, 3, 5, 10]";
  const std::size_t at = yaml.find(sweep);
  EXPECT_NE(at, std::string::npos) << sweep;
  if (at != std::string::npos) yaml.replace(at, sweep.size(), "model.width: [" + widths + "]");
  std::ofstream(dir / "study.yaml") << yaml;
  return test::run(
      {"probe-init", (dir / "study.yaml").string(), "--seeds", std::to_string(networks), "--out",
       (dir / "out").string(), "--set", "data.dataset=idx", "--set",
       "data.path=" + test::test_path("../data/fixtures/tiny")},
      dir);
}

TEST(LuDyingRelu, BornDeadFractionMatchesTheFormulaWithinThreeStandardErrors) {
  const fs::path dir = fs::temp_directory_path() / "actlab_papers_lu";
  const fs::path dir_width10 = fs::temp_directory_path() / "actlab_papers_lu_width10";
  const test::Outcome outcome = probe_widths(dir, "2, 3, 5", 400);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  const test::Outcome outcome_width10 = probe_widths(dir_width10, "10", 2000);
  ASSERT_EQ(outcome_width10.exit_code, 0) << outcome_width10.log;
  struct Cell {
    int width, networks;
    fs::path out;
  };
  const std::vector<Cell> cells = {{2, 400, dir / "out"},
                                   {3, 400, dir / "out"},
                                   {5, 400, dir / "out"},
                                   {10, 2000, dir_width10 / "out"}};
  for (const Cell& cell : cells) {
    const int width = cell.width;
    SCOPED_TRACE("width " + std::to_string(width));
    const auto summary = nlohmann::json::parse(
        test::read_file(cell.out / ("width=" + std::to_string(width)) / "summary.json"));
    const double measured = summary.at("dead_layer_networks").at("fraction").get<double>();
    const double p = 1 - std::pow(1 - std::pow(2.0, -width), kHiddenLayers);
    // The standard error under the formula (a count of 0 has a standard error of 0 of its own).
    // Width 10: p = 0.00875, 3 SE = 0.0062, so a measured 0 fails.
    const double standard_error = std::sqrt(p * (1 - p) / cell.networks);
    EXPECT_LE(std::abs(measured - p), 3 * standard_error)
        << "measured " << measured << ", formula " << p;

    // A layer of zeros feeds zeros forward: once a layer is entirely dead, so is every later one.
    int revived_layers = 0;
    for (const auto& network : summary.at("networks")) {
      bool dead = false;
      for (const auto& fraction : network.at("dead_fraction_by_layer")) {
        revived_layers += dead && fraction.get<double>() != 1.0;
        dead = dead || fraction.get<double>() == 1.0;
      }
    }
    EXPECT_EQ(revived_layers, 0);
  }
  EXPECT_NE(outcome.output.find("networks with an entirely dead hidden layer"), std::string::npos)
      << outcome.output;
}

}  // namespace
}  // namespace actlab
