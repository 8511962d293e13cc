#pragma once
// The `clip:` section: gradient clipping by global norm, by value, or by norm per layer.
#include <yaml-cpp/yaml.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "actlab/config/field_rules.hpp"

namespace actlab {

enum class ClipMode { kNone, kNorm, kValue, kLayerNorm };

inline constexpr std::array<std::pair<std::string_view, ClipMode>, 4> kClipModes{{
    {"none", ClipMode::kNone},
    {"norm", ClipMode::kNorm},
    {"value", ClipMode::kValue},
    {"layer_norm", ClipMode::kLayerNorm},
}};

struct ClipConfig {
  ClipMode mode = ClipMode::kNone;
  double max_norm = 1.0;   // kNorm, kLayerNorm
  double norm_type = 2.0;  // 1, 2, ... or +inf
  double value = 1.0;      // kValue

  bool operator==(const ClipConfig&) const = default;
};

std::string_view clip_mode_name(ClipMode mode);

// norm_type: a number at least 1, or `inf` (the max norm), which YAML has no number for.
struct NormTypeField {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  void read(YamlSection& clip, const std::string& key, double& norm_type) const;
  std::optional<YAML::Node> write(double norm_type) const;
};

template <>
struct SectionFields<ClipConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("mode", c.mode, choice(kClipModes));
    v("max_norm", c.max_norm, positive());
    v("norm_type", c.norm_type, NormTypeField{});
    v("value", c.value, positive());
  }
};

}  // namespace actlab
