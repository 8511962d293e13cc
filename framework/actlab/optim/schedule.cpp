#include "actlab/optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>

#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"

namespace actlab {
namespace {

template <typename V>
[[noreturn]] void reject(const ScheduleConfig& config, std::string_view key,
                         std::string_view requirement, V value) {
  std::ostringstream message;
  message << "schedule '" << config.name << "': " << key << " must be " << requirement << ", got "
          << value;
  throw ConfigError(message.str());
}

}  // namespace

std::vector<std::string> schedule_names() {
  return {"constant", "step", "cosine"};
}

LearningRateSchedule::LearningRateSchedule(const ScheduleConfig& config, double base_lr,
                                           std::size_t steps_per_epoch, std::size_t total_steps)
    : config_(config),
      base_lr_(base_lr),
      steps_per_epoch_(steps_per_epoch),
      total_steps_(total_steps) {
  if (config.name == "constant") {
    kind_ = Kind::kConstant;
  } else if (config.name == "step") {
    kind_ = Kind::kStep;
    if (config.step_epochs == 0) reject(config, "step_epochs", "> 0", config.step_epochs);
    if (!(config.gamma > 0) || std::isinf(config.gamma))
      reject(config, "gamma", "> 0 and finite", config.gamma);
    if (steps_per_epoch == 0) reject(config, "steps_per_epoch", "> 0", steps_per_epoch);
  } else if (config.name == "cosine") {
    kind_ = Kind::kCosine;
    if (!(config.min_lr >= 0) || std::isinf(config.min_lr))
      reject(config, "min_lr", ">= 0 and finite", config.min_lr);
    if (total_steps == 0) reject(config, "total_steps", "> 0", total_steps);
  } else {
    throw ConfigError(
        unknown_name_message("learning-rate schedule", config.name, schedule_names()));
  }
  if (!(base_lr >= 0) || std::isinf(base_lr))
    reject(config, "learning_rate", ">= 0 and finite", base_lr);
}

double LearningRateSchedule::at(std::size_t step) const {
  double lr = base_lr_;
  switch (kind_) {
    case Kind::kConstant:
      break;
    case Kind::kStep: {
      const std::size_t decays = step / steps_per_epoch_ / config_.step_epochs;
      lr = base_lr_ * std::pow(config_.gamma, static_cast<double>(decays));
      break;
    }
    case Kind::kCosine: {
      const double progress =
          static_cast<double>(std::min(step, total_steps_)) / static_cast<double>(total_steps_);
      lr = config_.min_lr +
           (base_lr_ - config_.min_lr) * (1.0 + std::cos(std::numbers::pi * progress)) / 2.0;
      break;
    }
  }
  if (step < config_.warmup_steps)
    lr *= static_cast<double>(step + 1) / static_cast<double>(config_.warmup_steps);
  return lr;
}

}  // namespace actlab
