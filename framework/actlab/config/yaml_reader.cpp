#include "actlab/config/yaml_reader.hpp"

#include <cmath>

#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"

namespace actlab {

std::string location_message(const std::string& source, const YAML::Node& node,
                             const std::string& key_path, const std::string& message) {
  std::string where = source;
  if (node.IsDefined() && node.Mark().line >= 0) {  // yaml-cpp marks are 0-based
    // Appended piece by piece: `":" + to_string(...)` trips a GCC 12 -Wrestrict false positive.
    where += ':';
    where += std::to_string(node.Mark().line + 1);
    where += ':';
    where += std::to_string(node.Mark().column + 1);
  }
  return where + ": " + (key_path.empty() ? "" : key_path + ": ") + message;
}

YamlSection::YamlSection(YAML::Node node, std::string source, std::string path)
    : node_(std::move(node)), source_(std::move(source)), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap())
    fail_at(node_, path_, "expected a mapping of keys to values");
}

std::string YamlSection::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool YamlSection::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

void YamlSection::fail(const std::string& key, const std::string& message) const {
  const YAML::Node value = node_.IsMap() ? node_[key] : YAML::Node();
  fail_at(value.IsDefined() ? value : node_, key_path(key), message);
}

void YamlSection::fail_at(const YAML::Node& node, const std::string& key_path,
                          const std::string& message) const {
  throw ConfigError(location_message(source_, node, key_path, message));
}

YAML::Node YamlSection::raw(const std::string& key) {
  read_.insert(key);
  return node_.IsMap() ? node_[key] : YAML::Node();
}

YamlSection YamlSection::section(const std::string& key) {
  read_.insert(key);
  if (!has(key)) return YamlSection(YAML::Node(YAML::NodeType::Map), source_, key_path(key));
  return YamlSection(node_[key], source_, key_path(key));
}

template <typename T>
T YamlSection::scalar(const std::string& key, const T& fallback, const char* expected) {
  read_.insert(key);
  if (!has(key)) return fallback;
  const YAML::Node value = node_[key];
  if (!value.IsScalar()) fail(key, std::string("expected ") + expected);
  try {
    return value.as<T>();
  } catch (const YAML::Exception&) {
    fail(key, std::string("expected ") + expected + ", got '" + value.Scalar() + "'");
  }
}

std::string YamlSection::string(const std::string& key, const std::string& fallback) {
  return scalar<std::string>(key, fallback, "a string");
}

bool YamlSection::boolean(const std::string& key, bool fallback) {
  return scalar<bool>(key, fallback, "true or false");
}

double YamlSection::real(const std::string& key, double fallback) {
  const double value = scalar<double>(key, fallback, "a number");
  if (!std::isfinite(value)) fail(key, "expected a finite number");
  return value;
}

std::int64_t YamlSection::integer(const std::string& key, std::int64_t fallback) {
  return scalar<std::int64_t>(key, fallback, "an integer");
}

std::vector<std::int64_t> YamlSection::integer_list(const std::string& key,
                                                    const std::vector<std::int64_t>& fallback) {
  read_.insert(key);
  if (!has(key)) return fallback;
  const YAML::Node value = node_[key];
  if (!value.IsSequence()) fail(key, "expected a list of integers, e.g. [256, 256]");
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    try {
      out.push_back(value[i].as<std::int64_t>());
    } catch (const YAML::Exception&) {
      fail_at(value[i], key_path(key) + "[" + std::to_string(i) + "]", "expected an integer");
    }
  }
  return out;
}

std::vector<double> YamlSection::real_list(const std::string& key,
                                           const std::vector<double>& fallback) {
  read_.insert(key);
  if (!has(key)) return fallback;
  const YAML::Node value = node_[key];
  if (!value.IsSequence()) fail(key, "expected a list of numbers");
  std::vector<double> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    try {
      out.push_back(value[i].as<double>());
    } catch (const YAML::Exception&) {
      fail_at(value[i], key_path(key) + "[" + std::to_string(i) + "]", "expected a number");
    }
  }
  return out;
}

void YamlSection::require(const std::string& key, bool condition,
                          const std::string& expectation) const {
  if (!condition) fail(key, "must be " + expectation);
}

void YamlSection::reject_unknown_keys() const {
  if (!node_.IsMap()) return;
  const std::vector<std::string> valid_keys(read_.begin(), read_.end());
  for (const auto& item : node_) {
    const std::string key = item.first.as<std::string>();
    if (read_.count(key)) continue;
    std::string detail;
    if (auto suggestion = nearest_name(key, valid_keys))
      detail += " (did you mean '" + *suggestion + "'?)";
    detail += "; valid keys here: " + join(valid_keys, ", ");
    throw UnknownKeyError(
        location_message(source_, item.first, key_path(key), "unknown key" + detail), key_path(key),
        detail);
  }
}

}  // namespace actlab
