#pragma once
// Learning-rate schedules, evaluated in closed form at an optimizer step (no state to checkpoint):
//   constant  lr(s) = base_lr
//   step      lr(s) = base_lr · gamma^⌊epoch / step_epochs⌋, epoch = ⌊s / steps_per_epoch⌋
//             (torch.optim.lr_scheduler.StepLR(step_size=step_epochs) stepped once per epoch)
//   cosine    lr(s) = min_lr + (base_lr - min_lr)·(1 + cos(π·min(s, T)/T))/2, T = total_steps
//             (CosineAnnealingLR(T_max=total_steps, eta_min=min_lr) stepped once per step; held at
//             min_lr past the end instead of rising again)
// Linear warm-up multiplies any of them by (s + 1)/warmup_steps while s < warmup_steps, so the
// first step uses base_lr/warmup_steps and step warmup_steps - 1 the full schedule. This is
// ChainedScheduler(LinearLR(start_factor=1/warmup_steps, total_iters=warmup_steps-1), schedule).
#include <cstddef>
#include <string>
#include <vector>

namespace actlab {

struct ScheduleConfig {
  std::string name = "constant";  // "constant", "step", "cosine"
  std::size_t step_epochs = 10;   // step: epochs between decays (> 0)
  double gamma = 0.1;             // step: decay factor (> 0)
  double min_lr = 0.0;            // cosine: final learning rate (>= 0)
  std::size_t warmup_steps = 0;   // 0: no warm-up

  bool operator==(const ScheduleConfig&) const = default;
};

class LearningRateSchedule {
 public:
  // Throws ConfigError for an unknown name or a value out of range (including base_lr < 0,
  // steps_per_epoch = 0 for "step", total_steps = 0 for "cosine").
  LearningRateSchedule(const ScheduleConfig& config, double base_lr, std::size_t steps_per_epoch,
                       std::size_t total_steps);
  // The learning rate of optimizer step `step`, counted from 0.
  double at(std::size_t step) const;

 private:
  enum class Kind { kConstant, kStep, kCosine };
  Kind kind_ = Kind::kConstant;
  ScheduleConfig config_;
  double base_lr_;
  std::size_t steps_per_epoch_, total_steps_;
};

std::vector<std::string> schedule_names();

}  // namespace actlab
