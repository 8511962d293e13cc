#pragma once
// Emits one config section from its field list (field_rules.hpp): the resolved YAML, every key in
// the list's order, so that parsing it gives the same configuration.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>

#include "actlab/config/field_rules.hpp"

namespace actlab {

template <class T>
constexpr bool is_optional = false;
template <class T>
constexpr bool is_optional<std::optional<T>> = true;

class FieldWriter {
 public:
  template <class T, class... Rules>
  void operator()(const std::string& key, const T& value, const Rules&... rules);

  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
};

template <class T, class... Rules>
void FieldWriter::operator()(const std::string& key, const T& value, const Rules&... rules) {
  if constexpr (ConfigSection<T>) {
    FieldWriter nested;
    SectionFields<T>::visit(value, nested);
    node_[key] = nested.node_;
  } else {
    bool applies = true;
    (
        [&] {
          if constexpr (has_role<Rules>(RuleRole::kCondition)) applies = applies && rules.applies();
        }(),
        ...);
    if (!applies) return;
    if constexpr ((has_role<Rules>(RuleRole::kCodec) || ...)) {
      (
          [&] {
            if constexpr (has_role<Rules>(RuleRole::kCodec))
              if (const std::optional<YAML::Node> written = rules.write(value))
                node_[key] = *written;
          }(),
          ...);
    } else if constexpr (is_optional<T>) {
      if (value) {
        node_[key] = *value;
        return;
      }
      (
          [&] {
            if constexpr (has_role<Rules>(RuleRole::kWhenUnset)) node_[key] = rules.value();
          }(),
          ...);
    } else if constexpr (std::is_same_v<T, std::filesystem::path>) {
      node_[key] = value.string();
    } else {
      node_[key] = value;
    }
  }
}

}  // namespace actlab
