#pragma once
// The probe tests' data: bytes drawn from a seed, so that the networks see varied inputs.
#include <cstddef>
#include <cstdint>

#include "actlab/core/rng.hpp"
#include "actlab/data/dataset.hpp"

namespace actlab {

// A data set of `n` examples with `features` byte values drawn from the seed, 3 classes.
inline Dataset random_dataset(std::size_t n, std::size_t features, std::uint64_t seed) {
  Dataset d;
  d.name = "random";
  d.features = features;
  d.classes = 3;
  Rng rng(seed);
  d.pixels.resize(n * features);
  for (auto& p : d.pixels)
    p = static_cast<std::uint8_t>(rng.below(256));
  for (std::size_t i = 0; i < n; ++i)
    d.labels.push_back(static_cast<std::int32_t>(rng.below(3)));
  return d;
}

}  // namespace actlab
