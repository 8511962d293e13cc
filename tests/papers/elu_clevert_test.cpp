// configs/papers/elu_clevert.yaml, CI-sized: Fashion-MNIST (always installed; the study itself
// uses mnist-10k) with 2,000 training images, 4 epochs, one seed. Clevert et al. (2016), Fig. 1:
// the median of the units' mean activations stays closer to 0 with ELU than with (leaky) ReLU, and
// ELU's training loss falls fastest. The findings (README) state both as ELU lowest at every epoch
// end; leaky ReLU is not between ELU and ReLU there, so the two are not ranked against each other.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "papers/training_study.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

TEST(PapersEluClevert, EluKeepsTheMedianUnitActivationClosestToZero) {
  const fs::path study = test::run_paper_study(
      "elu_clevert.yaml", "elu_clevert",
      {"data.dataset=fashion-mnist", "data.train_subset=2000", "data.validation_size=500",
       "data.test_subset=1000", "train.epochs=4", "probes.probe_set_size=512", "sweep.seed=[1]"});
  constexpr std::size_t kLayers = 8, kEpochs = 4;
  // Mean over the 8 layers and the 4 epoch ends of each layer's median unit mean.
  std::map<std::string, double> median;
  // By epoch end (1-based): the mean over the 8 layers of the median unit mean; the training loss.
  std::map<std::string, std::map<std::size_t, double>> median_by_epoch, train_loss;
  for (const char* activation : {"elu", "leaky_relu_alpha0.1", "relu"}) {
    const fs::path run = study / (std::string("activation=") + activation + ",seed=1");
    ASSERT_EQ(test::cell_status(run), "completed") << activation;
    const auto rows = test::read_probe_rows(run / "probes.csv", "activation_unit_mean_median");
    // Step 0 and every epoch end, every hidden layer.
    ASSERT_EQ(rows.size(), kLayers * (kEpochs + 1)) << activation;
    double sum = 0;
    for (const test::ProbeRow& row : rows) {
      ASSERT_TRUE(std::isfinite(row.value)) << activation << " layer " << row.layer;
      if (row.step == 0) continue;
      sum += row.value;
      median_by_epoch[activation][row.epoch] += row.value / static_cast<double>(kLayers);
    }
    median[activation] = sum / static_cast<double>(kLayers * kEpochs);
    const auto epochs = test::epoch_metrics(run);
    ASSERT_EQ(epochs.size(), kEpochs) << activation;
    for (const auto& epoch : epochs)
      train_loss[activation][epoch.at("epoch").get<std::size_t>()] =
          epoch.at("train_loss").get<double>();
  }
  // Measured on this short run: elu 0.12, leaky_relu 0.26, relu 0.29; in the full study elu is
  // about half of the other two as well, while leaky_relu and relu are not separated (README,
  // "Findings"), so only ELU's lead is asserted.
  EXPECT_LT(std::abs(median["elu"]), 0.6 * median["relu"]);
  EXPECT_LT(std::abs(median["elu"]), 0.6 * median["leaky_relu_alpha0.1"]);
  EXPECT_GT(median["relu"], 0.0);

  // The same ordering at every epoch end (measured: elu 0.10 - 0.15, the others 0.16 - 0.36, elu
  // at most 0.61 of the lower), and ELU's training loss lowest at every epoch (measured: at most
  // 0.71 of the lower of the other two, in each of seeds 1-3 up to 0.78).
  for (std::size_t epoch = 1; epoch <= kEpochs; ++epoch) {
    SCOPED_TRACE("epoch " + std::to_string(epoch));
    ASSERT_EQ(median_by_epoch["elu"].count(epoch), 1u);
    for (const char* other : {"leaky_relu_alpha0.1", "relu"}) {
      EXPECT_LT(median_by_epoch["elu"][epoch], median_by_epoch[other][epoch]) << other;
      EXPECT_LT(train_loss["elu"][epoch], 0.9 * train_loss[other][epoch]) << other;
    }
  }
}

}  // namespace
}  // namespace actlab
