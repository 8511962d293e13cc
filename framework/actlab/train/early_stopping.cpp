#include "actlab/train/early_stopping.hpp"

#include <cmath>

namespace actlab {

bool EarlyStopping::update(std::size_t epoch, double validation_loss) {
  if (!config_.enabled()) return false;
  if (std::isfinite(validation_loss) && validation_loss < state_.best_loss - config_.min_delta) {
    state_.best_loss = validation_loss;
    state_.best_epoch = epoch;
    state_.epochs_without_improvement = 0;
  } else {
    ++state_.epochs_without_improvement;
  }
  return should_stop();
}

bool EarlyStopping::should_stop() const {
  return config_.enabled() && state_.epochs_without_improvement >= config_.patience;
}

}  // namespace actlab
