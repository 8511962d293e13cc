// Early stopping on the validation loss, against hand-worked sequences (Keras' EarlyStopping rule:
// an improvement must beat the best so far by more than min_delta).
#include "actlab/train/early_stopping.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace actlab {
namespace {

// The epoch at which training stops (1-based), or 0 if it never does.
std::size_t stop_epoch(EarlyStopping& stopping, const std::vector<double>& losses) {
  for (std::size_t e = 0; e < losses.size(); ++e)
    if (stopping.update(e + 1, losses[e])) return e + 1;
  return 0;
}

TEST(EarlyStopping, OffNeverStops) {
  EarlyStopping stopping({0, 0.0});
  EXPECT_EQ(stop_epoch(stopping, {1, 2, 3, 4, 5, 6}), 0u);
}

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  // Best at epoch 2 (0.5); epochs 3 and 4 do not improve: patience 2 stops at epoch 4.
  EarlyStopping stopping({2, 0.0});
  EXPECT_EQ(stop_epoch(stopping, {0.9, 0.5, 0.6, 0.5, 0.1}), 4u);
  EXPECT_EQ(stopping.state().best_epoch, 2u);
  EXPECT_EQ(stopping.state().best_loss, 0.5);
  EXPECT_TRUE(stopping.should_stop());
}

TEST(EarlyStopping, AnImprovementResetsTheCount) {
  EarlyStopping stopping({2, 0.0});
  EXPECT_EQ(stop_epoch(stopping, {0.9, 1.0, 0.8, 0.85, 0.7, 0.75, 0.76}), 7u);
  EXPECT_EQ(stopping.state().best_epoch, 5u);
}

TEST(EarlyStopping, ImprovementsSmallerThanMinDeltaDoNotCount) {
  // 0.95 and 0.92 are within 0.1 of 1.0: no improvement; patience 2 stops at epoch 3.
  EarlyStopping stopping({2, 0.1});
  EXPECT_EQ(stop_epoch(stopping, {1.0, 0.95, 0.92, 0.5}), 3u);
  EXPECT_EQ(stopping.state().best_epoch, 1u);
}

TEST(EarlyStopping, NonFiniteLossIsNoImprovement) {
  EarlyStopping stopping({1, 0.0});
  EXPECT_EQ(stop_epoch(stopping, {0.5, std::nan("")}), 2u);
}

TEST(EarlyStopping, StateRestoresTheDecision) {
  EarlyStopping first({3, 0.0});
  stop_epoch(first, {0.5, 0.6, 0.7});
  EarlyStopping resumed({3, 0.0});
  resumed.set_state(first.state());
  EXPECT_TRUE(resumed.update(4, 0.8));  // the third epoch without improvement
}

}  // namespace
}  // namespace actlab
