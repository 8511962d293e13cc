// configs/papers/glorot_bengio_init.yaml and glorot_bengio.yaml, CI-sized: Glorot & Bengio
// (2010). At initialisation the back-propagated gradient ‖∂L/∂z_l‖ shrinks by √(1/3) ≈ 0.58 per
// layer towards the input with the `standard` initialisation (n·Var(W) = 1/3) where f' ≈ 1 (tanh),
// and stays nearly flat with Xavier's (n·Var(W) = 1); sigmoid's f' ≈ 1/4 shrinks it by another
// factor 4 with either. In training, the top sigmoid layer's mean activation falls towards 0 while
// the lower layers stay near 0.5. The tiny fixture, narrower layers, fewer networks and steps.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "papers/probe_rows.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

constexpr int kHiddenLayers = 5;

// ‖∂L/∂z_l‖ / ‖∂L/∂z_{l+1}‖ between consecutive hidden layers (means over the networks). The output
// layer is left out: its fan-out is 10, not the hidden width.
std::vector<double> gradient_ratios(const fs::path& cell) {
  const auto rows = test::read_probe_rows(cell / "probe_init.csv");
  std::vector<double> ratios;
  for (int l = 1; l < kHiddenLayers; ++l)
    ratios.push_back(test::mean(rows.at({l, "grad_norm_preactivation"})) /
                     test::mean(rows.at({l + 1, "grad_norm_preactivation"})));
  return ratios;
}

void expect_ratios_between(const fs::path& cell, double low, double high) {
  for (double ratio : gradient_ratios(cell)) {
    EXPECT_GE(ratio, low) << cell.filename();
    EXPECT_LE(ratio, high) << cell.filename();
  }
}

TEST(GlorotBengio, StandardInitialisationShrinksBackPropagatedGradientsXavierKeepsThemForTanh) {
  const fs::path dir = fs::temp_directory_path() / "actlab_papers_glorot_init";
  fs::remove_all(dir);
  const test::Outcome outcome = test::run(
      {"probe-init", test::test_path("../configs/papers/glorot_bengio_init.yaml"), "--seeds", "2",
       "--out", (dir / "out").string(), "--set", "data.dataset=idx", "--set",
       "data.path=" + test::test_path("../data/fixtures/tiny"), "--set", "data.test_subset=20",
       "--set", "model.hidden=[256, 256, 256, 256, 256]", "--set", "probes.probe_set_size=32"},
      dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  const fs::path out = dir / "out";
  expect_ratios_between(out / "activation=tanh,init=standard", 0.5, 0.65);  // √(1/3) = 0.577
  expect_ratios_between(out / "activation=tanh,init=xavier_uniform", 0.85, 1.0);  // 1 · E[tanh'²]
  expect_ratios_between(out / "activation=sigmoid,init=standard", 0.12, 0.17);    // 0.577 / 4
  expect_ratios_between(out / "activation=sigmoid,init=xavier_uniform", 0.2, 0.26);  // ≈ 1/4
}

TEST(GlorotBengio, TopSigmoidLayerSaturatesTowardsZeroWhileLowerLayersStayNearHalf) {
  const fs::path dir = fs::temp_directory_path() / "actlab_papers_glorot_training";
  fs::remove_all(dir);
  const test::Outcome outcome = test::run(
      {"run", test::test_path("../configs/papers/glorot_bengio.yaml"), "--out",
       (dir / "run").string(), "--set", "data.dataset=idx", "--set",
       "data.path=" + test::test_path("../data/fixtures/tiny"), "--set", "data.validation_size=0",
       "--set", "data.test_subset=20", "--set", "model.hidden=[256, 256, 256, 256]", "--set",
       "train.epochs=15", "--set", "probes.probe_set_size=64"},
      dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  // One network: each metric's values in step order.
  const auto rows = test::read_probe_rows(dir / "run" / "probes.csv");
  const auto& top = rows.at({4, "activation_mean"});  // one value per probe step, in step order
  EXPECT_NEAR(top.front(), 0.5, 0.05);
  EXPECT_LT(top.back(), 0.2);  // measured 0.12 after 900 steps
  for (int layer = 1; layer <= 3; ++layer) {
    const auto& means = rows.at({layer, "activation_mean"});
    EXPECT_NEAR(means.back(), 0.5, 0.15) << "layer " << layer;
  }
}

}  // namespace
}  // namespace actlab
