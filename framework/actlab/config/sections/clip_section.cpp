#include "actlab/config/sections/clip_section.hpp"

#include <cmath>
#include <limits>

namespace actlab {

std::string_view clip_mode_name(ClipMode mode) {
  return choice(kClipModes).name(mode);
}

void NormTypeField::read(YamlSection& clip, const std::string& key, double& norm_type) const {
  const YAML::Node node = clip.raw(key);
  if (clip.has(key) && node.IsScalar() && node.Scalar() == "inf") {
    norm_type = std::numeric_limits<double>::infinity();
    return;
  }
  norm_type = clip.real(key, norm_type);
  clip.require(key, norm_type >= 1, "at least 1, or inf");
}

std::optional<YAML::Node> NormTypeField::write(double norm_type) const {
  if (std::isinf(norm_type)) return YAML::Node("inf");
  return YAML::Node(norm_type);
}

}  // namespace actlab
