#pragma once
// Typed, strict reading of one YAML mapping: every value read is checked for type and range, every
// key not read is an error with a suggestion, and every error names the file, line, column and the
// key path ("configs/x.yaml:12:3: optimizer.learnig_rate: unknown key (did you mean
// 'learning_rate'?)").
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace actlab {

class YamlSection {
 public:
  // `source` names the file (or "--set") for messages; `path` is the key path of `node`.
  YamlSection(YAML::Node node, std::string source, std::string path);

  bool has(const std::string& key) const;
  // A nested mapping (an empty one when absent).
  YamlSection section(const std::string& key);
  YAML::Node raw(const std::string& key);  // marks the key as read

  std::string string(const std::string& key, const std::string& fallback);
  bool boolean(const std::string& key, bool fallback);
  double real(const std::string& key, double fallback);
  std::int64_t integer(const std::string& key, std::int64_t fallback);
  std::vector<std::int64_t> integer_list(const std::string& key,
                                         const std::vector<std::int64_t>& fallback);
  std::vector<double> real_list(const std::string& key, const std::vector<double>& fallback);

  // Range checks: throw ConfigError at the key's location unless the condition holds.
  void require(const std::string& key, bool condition, const std::string& expectation) const;

  // Throws UnknownKeyError for the first key present in the YAML that the parser never asked for.
  // The keys it asked for (present or not) are the valid ones, listed in the message.
  void reject_unknown_keys() const;

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  [[noreturn]] void fail_at(const YAML::Node& node, const std::string& key_path,
                            const std::string& message) const;
  std::string key_path(const std::string& key) const;
  const std::string& source() const { return source_; }
  const YAML::Node& node() const { return node_; }

 private:
  template <typename T>
  T scalar(const std::string& key, const T& fallback, const char* expected);

  YAML::Node node_;
  std::string source_;
  std::string path_;
  std::set<std::string> read_;
};

// "file:line:column: key.path: message"
std::string location_message(const std::string& source, const YAML::Node& node,
                             const std::string& key_path, const std::string& message);

}  // namespace actlab
