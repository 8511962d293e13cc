// configs/papers/gelu_hendrycks.yaml, CI-sized: Fashion-MNIST (always installed; the study itself
// uses mnist-10k) with 8,000 training images, 6 epochs (378 steps), seeds 1-3. Hendrycks & Gimpel
// (2016): with dropout 0.5 in an 8 × 128 network trained by Adam, ReLU's training loss stays above
// GELU's and ELU's.
// - GELU: below ReLU in the first epoch, level with it on the ln 10 plateau of epochs 2-4 (within
//   0.1 either way), below it in every seed from the fifth epoch on, by a growing gap; the short
//   run asserts it at its last epoch.
// - ELU: here its loss starts far above the other two (the dropout-doubled variance of 8 layers
//   gives large logits, and ELU's units cannot die to shrink them as ReLU's do; PyTorch gives the
//   same start) and falls below ReLU's only late: after epoch 24 of the full study (README,
//   "Findings"), after about 1,200-1,900 steps on Fashion-MNIST, more than CI can afford. The
//   short run asserts that documented start, not the paper's ordering.
// - ReLU's deep layers die under dropout, which GELU's and ELU's cannot.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "papers/training_study.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kEpochs = 6;
const std::vector<int> kSeeds = {1, 2, 3};

TEST(PapersGeluHendrycks, ReluTrainingLossStaysAboveGeluUnderDropout) {
  const fs::path study = test::run_paper_study(
      "gelu_hendrycks.yaml", "gelu_hendrycks",
      {"data.dataset=fashion-mnist", "data.train_subset=8000", "data.validation_size=500",
       "data.test_subset=500", "train.epochs=" + std::to_string(kEpochs),
       "probes.probe_set_size=256", "sweep.seed=[1,2,3]"});
  // activation -> the training loss of each epoch, per seed.
  std::map<std::string, std::vector<std::vector<double>>> losses;
  for (const char* activation : {"relu", "elu", "gelu"}) {
    for (const int seed : kSeeds) {
      const std::string id =
          std::string("activation=") + activation + ",seed=" + std::to_string(seed);
      const fs::path run = study / id;
      ASSERT_EQ(test::cell_status(run), "completed") << id;
      const auto epochs = test::epoch_metrics(run);
      ASSERT_EQ(epochs.size(), kEpochs) << id;
      std::vector<double> by_epoch;
      for (const auto& epoch : epochs) {
        by_epoch.push_back(epoch.at("train_loss").get<double>());
        ASSERT_TRUE(std::isfinite(by_epoch.back())) << id;
      }
      losses[activation].push_back(by_epoch);
      if (std::string(activation) == "relu") {
        const auto dead = epochs.back().at("dead_fraction_by_layer").get<std::vector<double>>();
        ASSERT_EQ(dead.size(), 8u) << id;
        EXPECT_GT(dead.back(), 0.3) << id;  // measured 0.49 - 0.52 of the last layer's units
      }
    }
  }
  // The mean over the seeds of one epoch's loss (0-based epoch index).
  auto mean_loss = [&](const std::string& activation, std::size_t epoch) {
    std::vector<double> values;
    for (const auto& by_epoch : losses[activation])
      values.push_back(by_epoch[epoch]);
    return test::mean(values);
  };
  const std::size_t last = kEpochs - 1;
  // Measured at the last epoch: gelu 1.61, 1.57, 1.60 against relu 2.04, 1.97, 2.06 (mean gap
  // 0.43, seed by seed at least 0.40).
  EXPECT_LT(mean_loss("gelu", last), mean_loss("relu", last) - 0.2);
  for (std::size_t s = 0; s < kSeeds.size(); ++s)
    EXPECT_LT(losses["gelu"][s][last], losses["relu"][s][last]) << "seed " << kSeeds[s];
  // ELU's start (measured: epoch 1 10.4 against relu's 3.1; epoch 6 2.77 against 2.02).
  EXPECT_GT(mean_loss("elu", 0), 2 * mean_loss("relu", 0));
  EXPECT_GT(mean_loss("elu", last), mean_loss("relu", last));
}

}  // namespace
}  // namespace actlab
