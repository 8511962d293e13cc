#pragma once
// Parses one config section from its field list (field_rules.hpp) and a YamlSection: each key is
// read over the default-constructed struct's value, then checked where it is, so that every error
// names the file, line, column and key path.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "actlab/config/field_rules.hpp"
#include "actlab/config/yaml_reader.hpp"

namespace actlab {

class FieldReader {
 public:
  explicit FieldReader(YamlSection& section) : section_(section) {}

  template <class T, class... Rules>
  void operator()(const std::string& key, T&& value, const Rules&... rules);

  // Rejects any key the list does not name.
  void finish();

 private:
  template <class Value, class... Rules>
  void read(const std::string& key, Value& value, const Rules&... rules);
  template <class Value, class... Rules>
  void read_scalar(const std::string& key, Value& value, const Rules&... rules);
  template <class Wire, class... Rules>
  void check(const std::string& key, const Wire& wire, const Rules&... rules) const;
  // At `key`, or at the key `at` inside it ("early_stopping.patience").
  [[noreturn]] void fail(const std::string& key, const std::string& at,
                         const std::string& message) const;
  // Runs the reads that wait for `key` (read_after).
  void read_waiting_for(const std::string& key);

  struct WaitingRead {
    std::string after;
    std::function<void()> read;
  };

  YamlSection& section_;
  std::vector<WaitingRead> waiting_;
};

template <class T, class... Rules>
void FieldReader::operator()(const std::string& key, T&& value, const Rules&... rules) {
  using Value = std::remove_cvref_t<T>;
  if constexpr (ConfigSection<Value>) {
    YamlSection nested_section = section_.section(key);
    FieldReader nested(nested_section);
    SectionFields<Value>::visit(value, nested);
    nested.finish();
    check(key, value, rules...);
  } else if constexpr ((has_role<Rules>(RuleRole::kReadAfter) || ...)) {
    std::string after;
    (
        [&] {
          if constexpr (has_role<Rules>(RuleRole::kReadAfter)) after = rules.key;
        }(),
        ...);
    waiting_.push_back({after, [this, key, &value, rules...] { read(key, value, rules...); }});
    return;
  } else {
    read(key, value, rules...);
  }
  read_waiting_for(key);
}

template <class Value, class... Rules>
void FieldReader::read(const std::string& key, Value& value, const Rules&... rules) {
  bool applies = true;
  (
      [&] {
        if constexpr (has_role<Rules>(RuleRole::kCondition)) {
          if (rules.applies()) return;
          if (section_.has(key)) section_.fail(key, rules.message);
          applies = false;
        }
      }(),
      ...);
  if (!applies) {
    section_.raw(key);  // still a valid key here
    return;
  }
  if constexpr ((has_role<Rules>(RuleRole::kCodec) || ...)) {
    (
        [&] {
          if constexpr (has_role<Rules>(RuleRole::kCodec)) rules.read(section_, key, value);
        }(),
        ...);
    check(key, value, rules...);
  } else {
    read_scalar(key, value, rules...);
  }
}

template <class Value, class... Rules>
void FieldReader::read_scalar(const std::string& key, Value& value, const Rules&... rules) {
  if constexpr (std::is_same_v<Value, bool>) {
    value = section_.boolean(key, value);
    check(key, value, rules...);
  } else if constexpr (std::is_integral_v<Value>) {
    // Checked as read, so that a negative count is an error rather than a huge unsigned one.
    std::int64_t fallback = static_cast<std::int64_t>(value);
    (
        [&] {
          if constexpr (has_role<Rules>(RuleRole::kDefault))
            fallback = static_cast<std::int64_t>(rules.value());
        }(),
        ...);
    const std::int64_t wire = section_.integer(key, fallback);
    check(key, wire, rules...);
    value = static_cast<Value>(wire);
  } else if constexpr (std::is_same_v<Value, double>) {
    value = section_.real(key, value);
    check(key, value, rules...);
  } else if constexpr (std::is_same_v<Value, std::string>) {
    value = section_.string(key, value);
    check(key, value, rules...);
  } else if constexpr (std::is_same_v<Value, std::filesystem::path>) {
    value = section_.string(key, value.string());
    check(key, value, rules...);
  } else if constexpr (std::is_same_v<Value, std::optional<double>>) {
    if (!section_.has(key)) {
      section_.skip(key);  // absent or null: unset
      return;
    }
    const double wire = section_.real(key, 0.0);
    check(key, wire, rules...);
    value = wire;
  } else {
    static_assert(sizeof(Value) == 0, "no plain reader for this type: give the field a codec");
  }
}

template <class Wire, class... Rules>
void FieldReader::check(const std::string& key, const Wire& wire, const Rules&... rules) const {
  (
      [&] {
        if constexpr (has_role<Rules>(RuleRole::kCheck))
          if (const auto problem = rules.problem(wire)) fail(key, rules.at, *problem);
      }(),
      ...);
}

}  // namespace actlab
