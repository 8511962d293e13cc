#pragma once
// Two-dimensional, two-class data sets generated from a seed, as in the TensorFlow Playground:
// no files, the same points for the same parameters.
//
//   spiral  two interleaved arms of 1.75 turns each (label 0 and 1), radius 0..1, plus Gaussian
//           noise of standard deviation `noise` on each coordinate
//   xor     points uniform in [-1, 1]²; label 1 where x and y have different signs (before the
//           noise is added), so no line separates the classes
//
// Coordinates are stored as bytes like every other data set (one code path through gather_batch
// and the probes): 256 levels over [kSyntheticLow, kSyntheticHigh] = [-1.5, 1.5], a step of
// 3/255 ≈ 0.0118, round to nearest, values outside clamped. synthetic_normalizer() decodes them
// back to coordinates (byte · 3/255 − 1.5), so the network sees the points in [-1.5, 1.5].
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "actlab/data/dataset.hpp"

namespace actlab {

inline constexpr double kSyntheticLow = -1.5;
inline constexpr double kSyntheticHigh = 1.5;
inline constexpr std::size_t kSyntheticClasses = 2;

// True for the names of the generated data sets ("spiral", "xor").
bool is_synthetic_dataset(const std::string& name);

// `count` points of data set `name` (2 features, 2 classes) drawn from `seed`; name is the
// Dataset's name. Throws ConfigError for an unknown name.
Dataset make_synthetic(const std::string& name, std::size_t count, double noise,
                       std::uint64_t seed);

// The byte of a coordinate (round to nearest, clamped to [0, 255]) and back.
std::uint8_t encode_coordinate(double value);
double decode_coordinate(std::uint8_t byte);

// byte · (high − low)/255 + low: the coordinates themselves.
Normalizer synthetic_normalizer();

}  // namespace actlab
