#pragma once
// Many uniform draws at once, for the stochastic layers (rrelu's slopes, gumbel_softmax's noise):
// the generator runs in a scalar loop, and what is computed from the draws can then vectorise.
#include <cstdint>
#include <span>
#include <type_traits>

#include "actlab/core/rng.hpp"

namespace actlab {

// The k-th of 2^bits equal cells of (0, 1), at its centre: (k + 1/2) / 2^bits. One bit fewer than
// the mantissa (23 for float, 52 for double) keeps every centre exactly representable, so that the
// largest is 1 - 2^-(bits+1) < 1 instead of rounding up to 1.
template <typename T>
constexpr int kOpenUniformBits = std::is_same_v<T, float> ? 23 : 52;

template <typename T>
T open_uniform_from_bits(std::uint64_t k) {
  constexpr T scale = T{1} / static_cast<T>(std::uint64_t{1} << kOpenUniformBits<T>);
  return (static_cast<T>(k) + T{0.5}) * scale;
}

// Fills `out` with uniforms in the open interval (0, 1), never 0 or 1, so that log(u) and
// log(1 - u) are finite. float takes two values from each 64-bit draw.
template <typename T>
void fill_uniform_open(Rng& rng, std::span<T> out) {
  static_assert(std::is_floating_point_v<T>);
  constexpr int bits = kOpenUniformBits<T>;
  if constexpr (std::is_same_v<T, float>) {
    constexpr std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
    std::size_t i = 0;
    for (; i + 1 < out.size(); i += 2) {
      const std::uint64_t word = rng.next();
      out[i] = open_uniform_from_bits<T>(word >> (64 - bits));
      out[i + 1] = open_uniform_from_bits<T>(word & mask);
    }
    if (i < out.size()) out[i] = open_uniform_from_bits<T>(rng.next() >> (64 - bits));
  } else {
    for (T& u : out)
      u = open_uniform_from_bits<T>(rng.next() >> (64 - bits));
  }
}

}  // namespace actlab
