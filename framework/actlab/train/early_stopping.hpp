#pragma once
// Early stopping on the validation loss, as Keras' EarlyStopping(monitor="val_loss"): an epoch
// improves when its loss is below the best so far by more than min_delta; training stops once
// `patience` epochs in a row have not improved.
#include <cstddef>
#include <limits>

#include "actlab/config/sections/train_section.hpp"

namespace actlab {

class EarlyStopping {
 public:
  // The whole state, for checkpoints.
  struct State {
    double best_loss = std::numeric_limits<double>::infinity();
    std::size_t best_epoch = 0;  // 0 = no epoch yet
    std::size_t epochs_without_improvement = 0;
  };

  explicit EarlyStopping(const EarlyStoppingConfig& config) : config_(config) {}

  // Records the validation loss of `epoch`; true when training should stop now. A non-finite loss
  // never counts as an improvement. Always false when early stopping is off.
  bool update(std::size_t epoch, double validation_loss);
  bool should_stop() const;

  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }
  const EarlyStoppingConfig& config() const { return config_; }

 private:
  EarlyStoppingConfig config_;
  State state_;
};

}  // namespace actlab
