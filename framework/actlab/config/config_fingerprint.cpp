// training_fingerprint, config_digest and config_difference (experiment_config.hpp).
#include <cstdio>
#include <cstdlib>

#include "actlab/config/experiment_config.hpp"

namespace actlab {
namespace {

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(absent)";
  if (node.IsScalar()) {
    // yaml-cpp writes doubles with 17 digits (0.050000000000000003): show the shortest form that
    // reads back as the same number (0.05).
    const std::string& text = node.Scalar();
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size() && text.find('.') != std::string::npos)
      for (int digits = 1; digits <= 17; ++digits) {
        char shortest[32];
        std::snprintf(shortest, sizeof(shortest), "%.*g", digits, value);
        if (std::strtod(shortest, nullptr) == value) return shortest;
      }
    return text;
  }
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// The first key path at which two configurations differ, with both values.
std::string first_difference(const YAML::Node& a, const YAML::Node& b, const std::string& path) {
  if (a.IsMap() && b.IsMap()) {
    for (const auto& item : a) {
      const std::string key = item.first.as<std::string>();
      std::string d = first_difference(item.second, b[key], path.empty() ? key : path + "." + key);
      if (!d.empty()) return d;
    }
    for (const auto& item : b) {
      const std::string key = item.first.as<std::string>();
      if (!a[key].IsDefined())
        return (path.empty() ? key : path + "." + key) + " is (absent) before, " +
               describe(item.second) + " now";
    }
    return "";
  }
  if (describe(a) == describe(b)) return "";
  return (path.empty() ? "the configuration" : path) + " is " + describe(a) + " before, " +
         describe(b) + " now";
}

}  // namespace

std::string config_difference(const std::string& before, const std::string& now) {
  try {
    return first_difference(YAML::Load(before), YAML::Load(now), "");
  } catch (const YAML::Exception&) {
    return "";
  }
}

std::string training_fingerprint(const ExperimentConfig& config) {
  YAML::Node root = to_yaml(config);
  for (const char* key : {"name", "threads", "output", "target_accuracy"})
    root.remove(key);
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

std::string config_digest(const ExperimentConfig& config) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a, 64-bit
  for (const unsigned char c : training_fingerprint(config)) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace actlab
