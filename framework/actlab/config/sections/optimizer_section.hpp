#pragma once
// The `optimizer:` section (OptimizerConfig, optimizer.hpp).
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <tuple>

#include "actlab/config/field_rules.hpp"
#include "actlab/optim/optimizer.hpp"

namespace actlab {

// betas: [0.9, 0.999], the two members beta1 and beta2 under one key.
struct BetasField {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  void read(YamlSection& optimizer, const std::string& key,
            std::tuple<double&, double&> betas) const;
  std::optional<YAML::Node> write(std::tuple<const double&, const double&> betas) const;
};

template <>
struct SectionFields<OptimizerConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("name", c.name, one_of(optimizer_names, "optimizer"));
    v("learning_rate", c.learning_rate, positive());
    v("momentum", c.momentum, must_be("in [0, 1)", [](double m) { return m >= 0 && m < 1; }));
    v("dampening", c.dampening, must_be("in [0, 1]", [](double d) { return d >= 0 && d <= 1; }));
    v("nesterov", c.nesterov,
      fails_if([&c](bool nesterov) { return nesterov && (c.momentum <= 0 || c.dampening != 0); },
               "Nesterov momentum needs momentum > 0 and dampening 0"));
    v("weight_decay", c.weight_decay, non_negative());
    v("betas", std::tie(c.beta1, c.beta2), BetasField{});
    // Written resolved, so that the recorded configuration shows the eps the run used.
    v("eps", c.eps, positive(), written_when_unset([&c] { return default_eps(c.name); }));
  }
};

}  // namespace actlab
