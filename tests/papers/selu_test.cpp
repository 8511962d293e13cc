// configs/papers/selu.yaml, CI-sized: Klambauer et al. (2017)'s self-normalisation at
// initialisation. On standardised inputs a 32-layer SELU network with LeCun normal weights keeps
// every layer's activations at mean 0 ± 0.1, variance 1 ± 0.2; ReLU with He weights keeps a stable
// scale but a mean far from 0; tanh with Xavier weights lets the variance shrink with depth. The
// tiny fixture, 128 units per layer instead of 256, 3 networks instead of 10.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "papers/probe_rows.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

constexpr int kDepth = 32;

// The activation variance of `layer`, averaged over the networks.
double variance(const test::ProbeRows& rows, int layer) {
  double sum = 0;
  const auto& stds = rows.at({layer, "activation_std"});
  for (double s : stds)
    sum += s * s;
  return sum / static_cast<double>(stds.size());
}

double mean_activation(const test::ProbeRows& rows, int layer) {
  return test::mean(rows.at({layer, "activation_mean"}));
}

TEST(Selu, SeluStaysNormalisedThrough32LayersReluAndTanhDoNot) {
  const fs::path dir = fs::temp_directory_path() / "actlab_papers_selu";
  fs::remove_all(dir);
  const test::Outcome outcome = test::run(
      {"probe-init", test::test_path("../configs/papers/selu.yaml"), "--seeds", "3", "--out",
       (dir / "out").string(), "--set", "data.dataset=idx", "--set",
       "data.path=" + test::test_path("../data/fixtures/tiny"), "--set", "data.test_subset=20",
       "--set", "model.hidden=[128]", "--set", "probes.probe_set_size=256"},
      dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  const fs::path out = dir / "out";

  const auto selu =
      test::read_probe_rows(out / "depth=32,activation=selu,init=lecun_normal" / "probe_init.csv");
  for (int layer = 1; layer <= kDepth; ++layer) {
    SCOPED_TRACE("selu layer " + std::to_string(layer));
    EXPECT_LE(std::abs(mean_activation(selu, layer)), 0.1);
    EXPECT_GE(variance(selu, layer), 0.8);
    EXPECT_LE(variance(selu, layer), 1.2);
  }

  // ReLU's outputs are never negative: with He weights the scale holds (E[a²] ≈ E[x²]) but the
  // mean sits near 0.5, far outside ±0.1.
  const auto relu =
      test::read_probe_rows(out / "depth=32,activation=relu,init=he_normal" / "probe_init.csv");
  EXPECT_GT(mean_activation(relu, kDepth), 0.3);

  // tanh contracts: each layer's variance is below the one before, down to a few per cent.
  const auto tanh =
      test::read_probe_rows(out / "depth=32,activation=tanh,init=xavier_normal" / "probe_init.csv");
  for (int layer = 2; layer <= kDepth; ++layer)
    EXPECT_LT(variance(tanh, layer), variance(tanh, layer - 1) * 1.02) << "tanh layer " << layer;
  EXPECT_LT(variance(tanh, kDepth), 0.05);
}

}  // namespace
}  // namespace actlab
