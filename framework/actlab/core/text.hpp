#pragma once
// Small text helpers for user-facing messages.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actlab {

// Levenshtein edit distance.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `name`, if it is close enough to be a plausible typo.
std::optional<std::string> nearest_name(std::string_view name,
                                        const std::vector<std::string>& candidates);
// "unknown activation 'rleu' (did you mean 'relu'?); valid: identity, relu, ..."
std::string unknown_name_message(std::string_view what, std::string_view name,
                                 const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace actlab
