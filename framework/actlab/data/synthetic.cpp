#include "actlab/data/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "actlab/core/error.hpp"
#include "actlab/core/rng.hpp"

namespace actlab {
namespace {

constexpr double kStep = (kSyntheticHigh - kSyntheticLow) / 255.0;
constexpr double kSpiralTurns = 1.75;  // the TensorFlow Playground's spiral

void add_point(Dataset& data, double x, double y, std::int32_t label) {
  data.pixels.push_back(encode_coordinate(x));
  data.pixels.push_back(encode_coordinate(y));
  data.labels.push_back(label);
}

}  // namespace

bool is_synthetic_dataset(const std::string& name) {
  return name == "spiral" || name == "xor";
}

std::uint8_t encode_coordinate(double value) {
  const double level = std::round((value - kSyntheticLow) / kStep);
  return static_cast<std::uint8_t>(std::clamp(level, 0.0, 255.0));
}

double decode_coordinate(std::uint8_t byte) {
  return kSyntheticLow + kStep * byte;
}

Normalizer synthetic_normalizer() {
  return {static_cast<float>(kStep), static_cast<float>(kSyntheticLow)};
}

Dataset make_synthetic(const std::string& name, std::size_t count, double noise,
                       std::uint64_t seed) {
  if (!is_synthetic_dataset(name)) throw ConfigError("unknown generated data set '" + name + "'");
  Dataset data;
  data.name = name;
  data.features = 2;
  data.classes = kSyntheticClasses;
  data.pixels.reserve(2 * count);
  data.labels.reserve(count);
  Rng rng(seed);
  for (std::size_t i = 0; i < count; ++i) {
    const auto label = static_cast<std::int32_t>(i % 2);  // balanced classes, alternating
    if (name == "spiral") {
      // Radius r along the arm, angle growing with r; the second arm is the first turned by π.
      const double r = rng.uniform();
      const double angle = 2.0 * std::numbers::pi * kSpiralTurns * r + std::numbers::pi * label;
      const double x = r * std::sin(angle) + rng.normal(0.0, noise);
      const double y = r * std::cos(angle) + rng.normal(0.0, noise);
      add_point(data, x, y, label);
    } else {
      // Draw until the point's quadrant matches the label: same count in each class.
      double x = 0, y = 0;
      do {
        x = rng.uniform(-1.0, 1.0);
        y = rng.uniform(-1.0, 1.0);
      } while (((x < 0) != (y < 0)) != (label == 1));
      add_point(data, x + rng.normal(0.0, noise), y + rng.normal(0.0, noise), label);
    }
  }
  return data;
}

}  // namespace actlab
