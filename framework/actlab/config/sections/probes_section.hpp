#pragma once
// The `probes:` section: what is measured during training (ProbeConfig, probes.hpp).
#include "actlab/config/field_rules.hpp"
#include "actlab/probes/probes.hpp"

namespace actlab {

template <>
struct SectionFields<ProbeConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("enabled", c.enabled);
    v("probe_set_size", c.probe_set_size, at_least(1));
    v("every_steps", c.every_steps, at_least(0));
    v("saturation_epsilon", c.saturation_epsilon,
      must_be("in [0, 1)", [](double epsilon) { return epsilon >= 0 && epsilon < 1; }));
    v("dormant_tau", c.dormant_tau, non_negative());
    v("warnings", c.warnings);
  }
};

}  // namespace actlab
