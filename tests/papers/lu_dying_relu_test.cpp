// configs/papers/lu_dying_relu.yaml, CI-sized: Lu et al. (2019)'s probability that a ReLU network
// with zero biases and symmetric weights is born dead on one input, 1 − (1 − 2^−N)^H for H = 9
// hidden layers of width N, against the fraction counted over many initialisations. The tiny
// fixture's one training image is the input (the formula holds for any input that is not all
// zeros) and 400 networks per width instead of the study's 10,000.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "papers/probe_rows.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

constexpr int kHiddenLayers = 9;
constexpr int kNetworks = 400;

TEST(LuDyingRelu, BornDeadFractionMatchesTheFormulaWithinThreeStandardErrors) {
  const fs::path dir = fs::temp_directory_path() / "actlab_papers_lu";
  fs::remove_all(dir);
  const test::Outcome outcome = test::run(
      {"probe-init", test::test_path("../configs/papers/lu_dying_relu.yaml"), "--seeds",
       std::to_string(kNetworks), "--out", (dir / "out").string(), "--set", "data.dataset=idx",
       "--set", "data.path=" + test::test_path("../data/fixtures/tiny")},
      dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  for (const int width : {2, 3, 5, 10}) {
    SCOPED_TRACE("width " + std::to_string(width));
    const auto summary = nlohmann::json::parse(
        test::read_file(dir / "out" / ("width=" + std::to_string(width)) / "summary.json"));
    const double measured = summary.at("dead_layer_networks").at("fraction").get<double>();
    const double p = 1 - std::pow(1 - std::pow(2.0, -width), kHiddenLayers);
    // The standard error under the formula: for width 10 (p ≈ 0.009) a small count can be 0,
    // whose own standard error would be 0.
    const double standard_error = std::sqrt(p * (1 - p) / kNetworks);
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
