// Learning-rate schedules at chosen steps, against values worked out by hand from the formulas in
// schedule.hpp (which restate StepLR and CosineAnnealingLR).
#include "actlab/optim/schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "actlab/core/error.hpp"

namespace actlab {
namespace {

ScheduleConfig schedule(const std::string& name, std::size_t warmup_steps = 0) {
  ScheduleConfig config;
  config.name = name;
  config.warmup_steps = warmup_steps;
  return config;
}

TEST(Schedule, ConstantKeepsTheBaseRate) {
  const LearningRateSchedule lr(schedule("constant"), 0.1, 10, 100);
  EXPECT_EQ(lr.at(0), 0.1);
  EXPECT_EQ(lr.at(57), 0.1);
  EXPECT_EQ(lr.at(100000), 0.1);  // past the planned end too
}

TEST(Schedule, StepDecaysEveryStepEpochsEpochs) {
  ScheduleConfig config = schedule("step");
  config.step_epochs = 2;
  config.gamma = 0.5;
  const LearningRateSchedule lr(config, 0.1, /*steps_per_epoch=*/3, /*total_steps=*/30);
  // Epoch = step / 3; rate = 0.1 · 0.5^(epoch / 2).
  EXPECT_DOUBLE_EQ(lr.at(0), 0.1);
  EXPECT_DOUBLE_EQ(lr.at(5), 0.1);       // epoch 1
  EXPECT_DOUBLE_EQ(lr.at(6), 0.05);      // epoch 2: first decay
  EXPECT_DOUBLE_EQ(lr.at(11), 0.05);     // epoch 3
  EXPECT_DOUBLE_EQ(lr.at(12), 0.025);    // epoch 4
  EXPECT_DOUBLE_EQ(lr.at(29), 0.00625);  // epoch 9: 4 decays
}

TEST(Schedule, CosineAnnealsFromBaseToMinimumOverTheRun) {
  ScheduleConfig config = schedule("cosine");
  config.min_lr = 0.01;
  const LearningRateSchedule lr(config, 0.1, 10, 100);
  // min + (base - min)·(1 + cos(π s/100))/2
  EXPECT_DOUBLE_EQ(lr.at(0), 0.1);
  EXPECT_NEAR(lr.at(25), 0.01 + 0.09 * (1 + std::sqrt(0.5)) / 2, 1e-15);  // cos(π/4) = √½
  EXPECT_NEAR(lr.at(50), 0.055, 1e-15);                                   // cos(π/2) = 0
  EXPECT_NEAR(lr.at(75), 0.01 + 0.09 * (1 - std::sqrt(0.5)) / 2, 1e-15);
  EXPECT_NEAR(lr.at(100), 0.01, 1e-15);
  EXPECT_NEAR(lr.at(150), 0.01, 1e-15);  // held at the minimum, not rising again
  // Default min_lr is 0.
  const LearningRateSchedule to_zero(schedule("cosine"), 0.2, 10, 4);
  EXPECT_NEAR(to_zero.at(1), 0.2 * (1 + std::sqrt(0.5)) / 2, 1e-15);
  EXPECT_NEAR(to_zero.at(4), 0.0, 1e-15);
  // PyTorch 1.13.1's CosineAnnealingLR(T_max=100, eta_min=0.01) on base 0.1, stepped 10 and 90
  // times (its recursive update drifts from the closed form by ~1e-17).
  EXPECT_NEAR(lr.at(10), 0.09779754323328192, 1e-15);
  EXPECT_NEAR(lr.at(90), 0.012202456766718087, 1e-15);
}

TEST(Schedule, WarmUpRampsLinearlyThenHandsOver) {
  // Constant with 4 warm-up steps: base·(s + 1)/4 for s < 4.
  const LearningRateSchedule constant(schedule("constant", 4), 0.1, 10, 100);
  EXPECT_DOUBLE_EQ(constant.at(0), 0.025);
  EXPECT_DOUBLE_EQ(constant.at(1), 0.05);
  EXPECT_DOUBLE_EQ(constant.at(2), 0.075);
  EXPECT_DOUBLE_EQ(constant.at(3), 0.1);
  EXPECT_DOUBLE_EQ(constant.at(4), 0.1);

  // Cosine with 10 warm-up steps multiplies the cosine value by (s + 1)/10 during warm-up.
  const LearningRateSchedule cosine(schedule("cosine", 10), 0.1, 10, 100);
  const auto cosine_at = [](double s) {
    return 0.1 * (1 + std::cos(std::numbers::pi * s / 100)) / 2;
  };
  EXPECT_NEAR(cosine.at(0), 0.1 / 10, 1e-15);
  EXPECT_NEAR(cosine.at(4), cosine_at(4) * 5 / 10, 1e-15);
  EXPECT_NEAR(cosine.at(9), cosine_at(9), 1e-15);
  EXPECT_NEAR(cosine.at(10), cosine_at(10), 1e-15);
  // PyTorch 1.13.1: ChainedScheduler([LinearLR(start_factor=0.1, total_iters=9),
  // CosineAnnealingLR(T_max=100)]) on base 0.1, lr after 4, 9 and 12 scheduler steps.
  EXPECT_NEAR(cosine.at(4), 0.04980286753286196, 1e-15);
  EXPECT_NEAR(cosine.at(9), 0.09801468428384716, 1e-15);
  EXPECT_NEAR(cosine.at(12), 0.09648882429441258, 1e-15);

  // Step with warm-up: the decays stay on their epochs.
  ScheduleConfig config = schedule("step", 2);
  config.step_epochs = 1;
  config.gamma = 0.1;
  const LearningRateSchedule step(config, 1.0, 5, 100);
  EXPECT_DOUBLE_EQ(step.at(0), 0.5);
  EXPECT_DOUBLE_EQ(step.at(1), 1.0);
  EXPECT_DOUBLE_EQ(step.at(4), 1.0);
  EXPECT_DOUBLE_EQ(step.at(5), 0.1);
}

TEST(Schedule, RejectsUnknownNamesAndInvalidValues) {
  EXPECT_EQ(schedule_names(), (std::vector<std::string>{"constant", "step", "cosine"}));
  try {
    LearningRateSchedule(schedule("cosin"), 0.1, 10, 100);
    ADD_FAILURE() << "unknown schedule accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("did you mean 'cosine'"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(LearningRateSchedule(schedule("constant"), -0.1, 10, 100), ConfigError);
  ScheduleConfig step = schedule("step");
  EXPECT_THROW(LearningRateSchedule(step, 0.1, 0, 100), ConfigError);  // no steps per epoch
  step.step_epochs = 0;
  EXPECT_THROW(LearningRateSchedule(step, 0.1, 10, 100), ConfigError);
  step.step_epochs = 5;
  step.gamma = 0;
  EXPECT_THROW(LearningRateSchedule(step, 0.1, 10, 100), ConfigError);
  step.gamma = -0.5;
  EXPECT_THROW(LearningRateSchedule(step, 0.1, 10, 100), ConfigError);
  ScheduleConfig cosine = schedule("cosine");
  EXPECT_THROW(LearningRateSchedule(cosine, 0.1, 10, 0), ConfigError);  // no run length
  cosine.min_lr = -1e-3;
  EXPECT_THROW(LearningRateSchedule(cosine, 0.1, 10, 100), ConfigError);
}

}  // namespace
}  // namespace actlab
