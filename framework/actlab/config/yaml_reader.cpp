#include "actlab/config/yaml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"

namespace actlab {

namespace {

// Whether `node` is a container that a walk over the tree has visited already. An alias refers
// to its anchor's node, which may even hold the alias (`&a [*a]`), or repeat it exponentially, so
// a walk visits each parsed container once; nodes built in code have no position and no aliases.
bool visited(const YAML::Node& node, std::set<int>& seen) {
  if (!node.IsMap() && !node.IsSequence()) return false;
  const int pos = node.Mark().pos;
  return pos >= 0 && !seen.insert(pos).second;
}

// Whether `node` is `tree` or lies inside it.
bool contains(const YAML::Node& tree, const YAML::Node& node, std::set<int>& seen) {
  if (tree.is(node)) return true;
  if (visited(tree, seen)) return false;
  if (tree.IsMap()) {
    for (const auto& item : tree)
      if (contains(item.first, node, seen) || contains(item.second, node, seen)) return true;
  } else if (tree.IsSequence()) {
    for (const auto& item : tree)
      if (contains(item, node, seen)) return true;
  }
  return false;
}

void reject_duplicate_keys(const YAML::Node& node, const ConfigSource& source,
                           const std::string& key_path, std::set<int>& seen) {
  if (visited(node, seen)) return;
  const auto path_to = [&](const std::string& part) {
    return key_path.empty() ? part : key_path + "." + part;
  };
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      reject_duplicate_keys(node[i], source, key_path + "[" + std::to_string(i) + "]", seen);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Node> keys;
  for (const auto& item : node) {
    const YAML::Node& key = item.first;
    if (key.IsScalar()) {
      if (const auto earlier = keys.find(key.Scalar()); earlier != keys.end()) {
        const std::string first = source.locate(earlier->second);
        const std::string second = source.locate(key);
        throw ConfigError(second + ": " + path_to(key.Scalar()) + ": given twice" +
                          (first == second ? "" : " (first at " + first + ")") +
                          "; a key may appear only once in a mapping");
      }
      keys.emplace(key.Scalar(), key);
    }
    reject_duplicate_keys(item.second, source, path_to(key.IsScalar() ? key.Scalar() : "?"), seen);
  }
}

// "file:line:column"; yaml-cpp marks are 0-based. Appended piece by piece: `":" +
// to_string(...)` trips a GCC 12 -Wrestrict false positive.
std::string place(const std::string& file, const YAML::Mark& mark) {
  std::string where = file;
  if (mark.line < 0) return where;
  where += ':';
  where += std::to_string(mark.line + 1);
  where += ':';
  where += std::to_string(mark.column + 1);
  return where;
}

// The line of `text` nearest above or at `line` (0-based) whose indentation holds a tab, if any.
std::optional<int> tab_indented_line(const std::string& text, int line) {
  std::optional<int> found;
  std::size_t start = 0;
  for (int l = 0; l <= line && start <= text.size(); ++l) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::size_t indent_end = text.find_first_not_of(" \t", start);
    if (text.find('\t', start) < std::min(indent_end, end)) found = l;
    start = end + 1;
  }
  return found;
}

}  // namespace

void ConfigSource::add_override(const YAML::Node& value, std::string assignment) {
  overrides_.emplace_back(value, std::move(assignment));
}

void ConfigSource::add_stand_in(const YAML::Node& created, const YAML::Node& written_at) {
  stand_ins_.emplace_back(created, written_at);
}

std::string ConfigSource::locate(const YAML::Node& node) const {
  if (!node.IsDefined()) return file_;
  for (const auto& [value, assignment] : overrides_)
    if (std::set<int> seen; contains(value, node, seen)) return "--set " + assignment;
  YAML::Mark mark = node.Mark();
  for (const auto& [created, written_at] : stand_ins_)
    if (mark.line < 0 && created.is(node)) mark = written_at.Mark();
  return place(file_, mark);
}

std::string location_message(const ConfigSource& source, const YAML::Node& node,
                             const std::string& key_path, const std::string& message) {
  return source.locate(node) + ": " + (key_path.empty() ? "" : key_path + ": ") + message;
}

YAML::Node load_yaml(const std::string& text, const ConfigSource& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    std::string message = place(source.file(), e.mark) + ": YAML syntax error: " + e.msg;
    if (const auto line = tab_indented_line(text, e.mark.line))
      message += " (line " + std::to_string(*line + 1) +
                 " is indented with a tab; YAML indents with spaces only)";
    throw ConfigError(message);
  }
  reject_duplicate_keys(root, source);
  return root;
}

// yaml-cpp keeps both entries of a repeated key, and a lookup finds the first: without this check
// the second would be silently ignored.
void reject_duplicate_keys(const YAML::Node& node, const ConfigSource& source,
                           const std::string& key_path) {
  std::set<int> seen;
  reject_duplicate_keys(node, source, key_path, seen);
}

YamlSection::YamlSection(YAML::Node node, ConfigSource source, std::string path)
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

void YamlSection::read_key(const std::string& key, const std::string& expected) {
  read_.insert(key);
  if (!node_.IsMap()) return;
  const YAML::Node value = std::as_const(node_)[key];
  if (value.IsDefined() && value.IsNull())
    fail(key, "expected " + expected + ", got nothing");  // "key:", "key: ~", "key: null"
}

YAML::Node YamlSection::raw(const std::string& key) {
  read_key(key, "a value");
  return node_.IsMap() ? node_[key] : YAML::Node();
}

YamlSection YamlSection::section(const std::string& key) {
  read_key(key, "a mapping of keys to values");
  if (!has(key)) return YamlSection(YAML::Node(YAML::NodeType::Map), source_, key_path(key));
  return YamlSection(node_[key], source_, key_path(key));
}

template <typename T>
T YamlSection::scalar(const std::string& key, const T& fallback, const char* expected) {
  read_key(key, expected);
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
  read_key(key, "a list of integers");
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
  read_key(key, "a list of numbers");
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
