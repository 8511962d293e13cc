#pragma once
// Weight initialisation schemes, by the names used in configs.
#include <string>
#include <string_view>
#include <vector>

#include "actlab/core/matrix.hpp"
#include "actlab/core/rng.hpp"

namespace actlab {

enum class Initializer {
  kHeNormal,       // N(0, 2/fan_in)                      He et al. 2015
  kHeUniform,      // U[-sqrt(6/fan_in), +sqrt(6/fan_in)]
  kXavierNormal,   // N(0, 2/(fan_in+fan_out))            Glorot & Bengio 2010
  kXavierUniform,  // U[-sqrt(6/(fan_in+fan_out)), +...]
  kLecunNormal,    // N(0, 1/fan_in)                      LeCun 1998, used with SELU
  kStandard,       // U[-1/sqrt(fan_in), +1/sqrt(fan_in)] Glorot & Bengio's "standard" heuristic
  kNormal,         // N(0, std^2) with a configured std
};

struct InitializerSpec {
  Initializer kind = Initializer::kHeNormal;
  double std = 0.01;  // used by kNormal only

  bool operator==(const InitializerSpec&) const = default;
};

// Valid names, in the order shown to users.
const std::vector<std::string>& initializer_names();
// Throws ConfigError (listing the valid names) for an unknown one.
Initializer parse_initializer(std::string_view name);
std::string_view initializer_name(Initializer kind);

// Fills W (fan_out, fan_in) in place.
template <typename T>
void initialize_weights(MatrixView<T> weights, const InitializerSpec& spec, Rng& rng);

}  // namespace actlab
