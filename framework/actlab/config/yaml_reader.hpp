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
#include <utility>
#include <vector>

namespace actlab {

// Where the nodes of one configuration tree came from, for messages: the file, the `--set` values
// put into the tree (their own marks count from the start of the value, not the file), and the
// mappings a sweep created on the way to its key, which are reported where the sweep entry is.
class ConfigSource {
 public:
  ConfigSource(std::string file) : file_(std::move(file)) {}  // NOLINT: a plain file name
  ConfigSource(const char* file) : file_(file) {}             // NOLINT: a plain file name

  // `value` and everything below it came from the override `assignment` ("key.path=value").
  void add_override(const YAML::Node& value, std::string assignment);
  // `created` has no place in the file; report it at `written_at` instead.
  void add_stand_in(const YAML::Node& created, const YAML::Node& written_at);

  // "--set key.path=value" for a node an override put there, else "file:line:column" (just
  // "file" for a node without a place).
  std::string locate(const YAML::Node& node) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::pair<YAML::Node, std::string>> overrides_;
  std::vector<std::pair<YAML::Node, YAML::Node>> stand_ins_;
};

// Parses the YAML `text` strictly: a syntax error (with a hint where a tab indents the line) or a
// key given twice in one mapping is a ConfigError naming `source`, line and column (of both keys).
YAML::Node load_yaml(const std::string& text, const ConfigSource& source);
// ConfigError at the second of two equal keys in one mapping anywhere in `node`, naming both.
void reject_duplicate_keys(const YAML::Node& node, const ConfigSource& source,
                           const std::string& key_path = "");

class YamlSection {
 public:
  // `source` names the file (or "--set") for messages; `path` is the key path of `node`.
  YamlSection(YAML::Node node, ConfigSource source, std::string path);

  // Present with a value; a key given with nothing after it ("seed:", "--set seed=") is an error
  // wherever it is read, never the default.
  bool has(const std::string& key) const;
  // A nested mapping (an empty one when absent).
  YamlSection section(const std::string& key);
  YAML::Node raw(const std::string& key);  // marks the key as read; refuses an empty value
  // Marks the key as read, where an empty value is allowed: it means "unset" (target_accuracy).
  void skip(const std::string& key) { read_.insert(key); }

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
  const ConfigSource& source() const { return source_; }
  const YAML::Node& node() const { return node_; }

 private:
  template <typename T>
  T scalar(const std::string& key, const T& fallback, const char* expected);
  // Marks the key as read; ConfigError "expected <expected>, got nothing" for an empty value.
  void read_key(const std::string& key, const std::string& expected);

  YAML::Node node_;
  ConfigSource source_;
  std::string path_;
  std::set<std::string> read_;
};

// "file:line:column: key.path: message" ("--set key.path=value: key.path: message" for a value
// that an override put there).
std::string location_message(const ConfigSource& source, const YAML::Node& node,
                             const std::string& key_path, const std::string& message);

}  // namespace actlab
