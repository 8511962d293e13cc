#pragma once
// The `train:` section: epochs, batches, the loss's label smoothing, and early stopping.
#include <cstddef>

#include "actlab/config/field_rules.hpp"

namespace actlab {

// Early stopping on the validation loss (train/early_stopping.hpp); off unless patience > 0.
struct EarlyStoppingConfig {
  std::size_t patience = 0;  // 0 = off
  double min_delta = 0.0;
  bool enabled() const { return patience > 0; }

  bool operator==(const EarlyStoppingConfig&) const = default;
};

struct TrainConfig {
  std::size_t epochs = 5;
  std::size_t batch_size = 128;
  double label_smoothing = 0.0;
  std::size_t eval_batch_size = 2048;  // evaluation only: as large as memory comfortably allows
  EarlyStoppingConfig early_stopping;

  bool operator==(const TrainConfig&) const = default;
};

template <>
struct SectionFields<EarlyStoppingConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("patience", c.patience, at_least(0));
    v("min_delta", c.min_delta, non_negative());
  }
};

template <>
struct SectionFields<TrainConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("epochs", c.epochs, at_least(0));
    v("batch_size", c.batch_size, at_least(1));
    v("label_smoothing", c.label_smoothing,
      must_be("in [0, 1)", [](double smoothing) { return smoothing >= 0 && smoothing < 1; }));
    v("eval_batch_size", c.eval_batch_size, at_least(1));
    v("early_stopping", c.early_stopping);
  }
};

}  // namespace actlab
