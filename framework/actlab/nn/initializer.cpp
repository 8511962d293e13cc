#include "actlab/nn/initializer.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "actlab/core/error.hpp"
#include "actlab/core/text.hpp"

namespace actlab {
namespace {

constexpr std::array<std::pair<std::string_view, Initializer>, 7> kNames{{
    {"he_normal", Initializer::kHeNormal},
    {"he_uniform", Initializer::kHeUniform},
    {"xavier_normal", Initializer::kXavierNormal},
    {"xavier_uniform", Initializer::kXavierUniform},
    {"lecun_normal", Initializer::kLecunNormal},
    {"standard", Initializer::kStandard},
    {"normal", Initializer::kNormal},
}};

}  // namespace

const std::vector<std::string>& initializer_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, kind] : kNames)
      out.emplace_back(name);
    return out;
  }();
  return names;
}

Initializer parse_initializer(std::string_view name) {
  for (const auto& [candidate, kind] : kNames)
    if (candidate == name) return kind;
  throw ConfigError(unknown_name_message("initializer", name, initializer_names()));
}

std::string_view initializer_name(Initializer kind) {
  for (const auto& [name, candidate] : kNames)
    if (candidate == kind) return name;
  return "?";
}

template <typename T>
void initialize_weights(MatrixView<T> weights, const InitializerSpec& spec, Rng& rng) {
  const double fan_out = static_cast<double>(weights.rows);
  const double fan_in = static_cast<double>(weights.cols);
  auto fill_normal = [&](double std) {
    for (std::size_t i = 0; i < weights.size(); ++i)
      weights.data[i] = static_cast<T>(rng.normal(0, std));
  };
  auto fill_uniform = [&](double bound) {
    for (std::size_t i = 0; i < weights.size(); ++i)
      weights.data[i] = static_cast<T>(rng.uniform(-bound, bound));
  };
  switch (spec.kind) {
    case Initializer::kHeNormal:
      return fill_normal(std::sqrt(2.0 / fan_in));
    case Initializer::kHeUniform:
      return fill_uniform(std::sqrt(6.0 / fan_in));
    case Initializer::kXavierNormal:
      return fill_normal(std::sqrt(2.0 / (fan_in + fan_out)));
    case Initializer::kXavierUniform:
      return fill_uniform(std::sqrt(6.0 / (fan_in + fan_out)));
    case Initializer::kLecunNormal:
      return fill_normal(std::sqrt(1.0 / fan_in));
    case Initializer::kStandard:
      return fill_uniform(1.0 / std::sqrt(fan_in));
    case Initializer::kNormal:
      return fill_normal(spec.std);
  }
}

template void initialize_weights<float>(MatrixView<float>, const InitializerSpec&, Rng&);
template void initialize_weights<double>(MatrixView<double>, const InitializerSpec&, Rng&);

}  // namespace actlab
