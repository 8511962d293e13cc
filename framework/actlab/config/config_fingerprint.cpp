// training_fingerprint, config_digest and config_difference (experiment_config.hpp).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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

// Every key path at which two configurations differ, in the order of `a` then the keys only `b`
// has, each as "key is <a> before, <b> now".
void collect_differences(const YAML::Node& a, const YAML::Node& b, const std::string& path,
                         std::vector<std::string>& differences) {
  if (a.IsMap() && b.IsMap()) {
    for (const auto& item : a) {
      const std::string key = item.first.as<std::string>();
      collect_differences(item.second, b[key], path.empty() ? key : path + "." + key, differences);
    }
    for (const auto& item : b) {
      const std::string key = item.first.as<std::string>();
      if (!a[key].IsDefined())
        differences.push_back((path.empty() ? key : path + "." + key) + " is (absent) before, " +
                              describe(item.second) + " now");
    }
    return;
  }
  if (describe(a) == describe(b)) return;
  differences.push_back((path.empty() ? "the configuration" : path) + " is " + describe(a) +
                        " before, " + describe(b) + " now");
}

}  // namespace

std::string config_difference(const std::string& before, const std::string& now) {
  try {
    std::vector<std::string> differences;
    collect_differences(YAML::Load(before), YAML::Load(now), "", differences);
    // A message stays readable when a whole section changed; the rest are counted.
    constexpr std::size_t kNamed = 8;
    std::string text;
    for (std::size_t i = 0; i < std::min(differences.size(), kNamed); ++i)
      text += (i ? "; " : "") + differences[i];
    if (differences.size() > kNamed)
      text += "; and " + std::to_string(differences.size() - kNamed) + " more";
    return text;
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
