#pragma once
// The vocabulary of a config section's field list. A section lists each key once, in the order the
// resolved YAML writes it, as `visitor(key, member, rules...)`; FieldReader parses the section from
// that list and FieldWriter emits it, so parsing and emitting cannot drift apart. Defaults live
// only in the structs' member initialisers: parsing starts from a default-constructed struct.
//
// A rule is one of:
//   a check      must_be(...), positive(), at_least(n), fails_if(...), one_of(...): validates the
//                parsed value (an integer key is checked as std::int64_t, before the cast);
//   a condition  only_when(...): the key applies only when it holds; given otherwise, it is an
//                error, and it is not written;
//   a codec      choice(table) or a section's own type with read()/write(): the key is not a plain
//                scalar (an activation spec, the layer list, `inf`);
//   a modifier   default_from(...), written_when_unset(...), read_after(key).
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actlab/config/yaml_reader.hpp"
#include "actlab/core/text.hpp"

namespace actlab {

// Specialised once per section with `template <class C, class V> static void visit(C& c, V& v)`,
// which lists the section's keys; C is the struct, const when emitting.
template <class Config>
struct SectionFields;

template <class T>
concept ConfigSection = requires {
  sizeof(SectionFields<T>);
};

enum class RuleRole { kCheck, kCondition, kCodec, kDefault, kWhenUnset, kReadAfter };

template <class Rule>
constexpr bool has_role(RuleRole role) {
  return Rule::kRole == role;
}

// ---------------------------------------------------------------------------------------------
// Checks. `problem(value)` is the error message, or nothing when the value is valid; `at`, when
// not empty, names the nested key the message is located at (a check on a whole section).

template <class Pred>
struct FailsIf {
  static constexpr RuleRole kRole = RuleRole::kCheck;
  Pred fails;
  std::string message;
  std::string at;
  template <class V>
  std::optional<std::string> problem(const V& value) const {
    if (fails(value)) return message;
    return std::nullopt;
  }
};

template <class Pred>
FailsIf<Pred> fails_if(Pred fails, std::string message, std::string at = "") {
  return {std::move(fails), std::move(message), std::move(at)};
}

// "must be <expectation>" unless `holds(value)`.
template <class Pred>
auto must_be(std::string expectation, Pred holds) {
  return fails_if([holds](const auto& value) { return !holds(value); },
                  "must be " + std::move(expectation));
}

inline auto positive() {
  return must_be("positive", [](double value) { return value > 0; });
}

inline auto non_negative() {
  return must_be("non-negative", [](double value) { return value >= 0; });
}

inline auto at_least(std::int64_t minimum) {
  return must_be("at least " + std::to_string(minimum),
                 [minimum](std::int64_t value) { return value >= minimum; });
}

// A name from the list `names()` returns; `what` names the kind in the message ("optimizer").
template <class Names>
struct OneOf {
  static constexpr RuleRole kRole = RuleRole::kCheck;
  Names names;
  std::string what;
  std::string at;
  std::optional<std::string> problem(const std::string& name) const {
    const std::vector<std::string> valid = names();
    for (const auto& candidate : valid)
      if (candidate == name) return std::nullopt;
    return unknown_name_message(what, name, valid);
  }
};

template <class Names>
OneOf<Names> one_of(Names names, std::string what) {
  return {std::move(names), std::move(what), ""};
}

// ---------------------------------------------------------------------------------------------
// Conditions and modifiers.

template <class Pred>
struct OnlyWhen {
  static constexpr RuleRole kRole = RuleRole::kCondition;
  Pred applies;
  std::string message;  // the error when the key is given where it does not apply
};

template <class Pred>
OnlyWhen<Pred> only_when(Pred applies, std::string message) {
  return {std::move(applies), std::move(message)};
}

// The value an absent key takes when it depends on keys read before it.
template <class Fn>
struct DefaultFrom {
  static constexpr RuleRole kRole = RuleRole::kDefault;
  Fn value;
};

template <class Fn>
DefaultFrom<Fn> default_from(Fn value) {
  return {std::move(value)};
}

// What an unset std::optional writes; without this rule it is left out.
template <class Fn>
struct WrittenWhenUnset {
  static constexpr RuleRole kRole = RuleRole::kWhenUnset;
  Fn value;
};

template <class Fn>
WrittenWhenUnset<Fn> written_when_unset(Fn value) {
  return {std::move(value)};
}

// Parsed right after `key`, which it depends on but is listed (and written) after it.
struct ReadAfter {
  static constexpr RuleRole kRole = RuleRole::kReadAfter;
  std::string key;
};

inline ReadAfter read_after(std::string key) {
  return {std::move(key)};
}

// ---------------------------------------------------------------------------------------------
// Codecs. read(section, key, value) parses the key into `value` (leaving it when the key is
// absent); write(value) is its YAML, or nothing to leave the key out.

// An enum written by name; an unknown name lists the valid ones.
template <class Enum, std::size_t N>
struct Choice {
  static constexpr RuleRole kRole = RuleRole::kCodec;
  const std::array<std::pair<std::string_view, Enum>, N>& table;

  void read(YamlSection& section, const std::string& key, Enum& value) const {
    std::vector<std::string> names;
    for (const auto& entry : table)
      names.emplace_back(entry.first);
    const std::string given = section.string(key, std::string(name(value)));
    for (const auto& [candidate, choice] : table)
      if (candidate == given) {
        value = choice;
        return;
      }
    section.fail(key, unknown_name_message(key, given, names));
  }
  std::optional<YAML::Node> write(Enum value) const { return YAML::Node(std::string(name(value))); }
  std::string_view name(Enum value) const {
    for (const auto& [candidate, choice] : table)
      if (choice == value) return candidate;
    return "?";
  }
};

template <class Enum, std::size_t N>
Choice<Enum, N> choice(const std::array<std::pair<std::string_view, Enum>, N>& table) {
  return {table};
}

}  // namespace actlab
