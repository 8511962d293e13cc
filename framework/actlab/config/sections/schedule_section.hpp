#pragma once
// The `schedule:` section: the learning-rate schedule (ScheduleConfig, schedule.hpp).
#include "actlab/config/field_rules.hpp"
#include "actlab/optim/schedule.hpp"

namespace actlab {

template <>
struct SectionFields<ScheduleConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("name", c.name, one_of(schedule_names, "schedule"));
    v("step_epochs", c.step_epochs, at_least(1));
    v("gamma", c.gamma, positive());
    v("min_lr", c.min_lr, non_negative());
    v("warmup_steps", c.warmup_steps, at_least(0));
  }
};

}  // namespace actlab
