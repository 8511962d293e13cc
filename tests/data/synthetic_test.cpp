// The generated 2-d data sets: deterministic, balanced, labelled by the rule that defines them, the
// byte encoding within half a step, and load_data splitting them like any other data set.
#include "actlab/data/synthetic.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "actlab/core/error.hpp"
#include "actlab/data/batch.hpp"

namespace actlab {
namespace {

constexpr double kHalfStep = 1.5 / 255.0;  // half of the 3/255 quantisation step

TEST(Synthetic, EncodingRoundTripsWithinHalfAStepAndClamps) {
  for (double c = -1.5; c <= 1.5; c += 0.001)
    EXPECT_LE(std::abs(decode_coordinate(encode_coordinate(c)) - c), kHalfStep + 1e-12) << c;
  EXPECT_EQ(encode_coordinate(-7.0), 0);
  EXPECT_EQ(encode_coordinate(7.0), 255);
  EXPECT_DOUBLE_EQ(decode_coordinate(0), -1.5);
  EXPECT_DOUBLE_EQ(decode_coordinate(255), 1.5);
  // The Normalizer decodes bytes the same way gather_batch will.
  const Normalizer n = synthetic_normalizer();
  EXPECT_NEAR(200 * n.scale + n.shift, decode_coordinate(200), 1e-6);
}

TEST(Synthetic, SameSeedSamePointsOtherSeedOtherPoints) {
  for (const char* name : {"spiral", "xor"}) {
    const Dataset a = make_synthetic(name, 100, 0.05, 3);
    const Dataset b = make_synthetic(name, 100, 0.05, 3);
    const Dataset c = make_synthetic(name, 100, 0.05, 4);
    EXPECT_EQ(a.pixels, b.pixels) << name;
    EXPECT_EQ(a.labels, b.labels) << name;
    EXPECT_NE(a.pixels, c.pixels) << name;
    EXPECT_EQ(a.features, 2u);
    EXPECT_EQ(a.classes, 2u);
    EXPECT_EQ(a.size(), 100u);
  }
}

// Without noise, every XOR point lies in a quadrant whose sign product gives its label, and both
// classes have the same count.
TEST(Synthetic, XorLabelsFollowTheSignsOfTheCoordinates) {
  const Dataset data = make_synthetic("xor", 1000, 0.0, 1);
  std::size_t ones = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double x = decode_coordinate(data.pixels[2 * i]);
    const double y = decode_coordinate(data.pixels[2 * i + 1]);
    ASSERT_LE(std::abs(x), 1.0 + kHalfStep);
    // Points within half a step of an axis may round onto the other side; skip those.
    if (std::abs(x) <= kHalfStep || std::abs(y) <= kHalfStep) continue;
    EXPECT_EQ(data.labels[i], (x < 0) != (y < 0) ? 1 : 0) << "point " << i;
    ones += static_cast<std::size_t>(data.labels[i]);
  }
  EXPECT_EQ(make_synthetic("xor", 1000, 0.0, 1).labels.size(), 1000u);
  std::size_t total_ones = 0;
  for (const auto label : data.labels)
    total_ones += static_cast<std::size_t>(label);
  EXPECT_EQ(total_ones, 500u);
  EXPECT_GT(ones, 450u);
}

// Without noise, the two spiral arms are point reflections of each other: the point at radius r
// and angle θ of arm 0 has the same radius on arm 1 at θ + π; every point lies within the unit
// disc, and its angle follows θ = 2π·1.75·r (+π for arm 1) up to the quantisation.
TEST(Synthetic, SpiralPointsLieOnTheirArm) {
  const Dataset data = make_synthetic("spiral", 500, 0.0, 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double x = decode_coordinate(data.pixels[2 * i]);
    const double y = decode_coordinate(data.pixels[2 * i + 1]);
    const double r = std::hypot(x, y);
    ASSERT_LE(r, 1.0 + 2 * kHalfStep);
    if (r < 0.1) continue;  // near the centre the quantisation dominates the angle
    const double expected = 2 * M_PI * 1.75 * r + M_PI * data.labels[i];
    // Compare directions: sin θ = x/r, cos θ = y/r.
    const double error = std::hypot(x / r - std::sin(expected), y / r - std::cos(expected));
    EXPECT_LT(error, 0.15) << "point " << i << " r " << r;
  }
}

TEST(Synthetic, LoadDataSplitsTheGeneratedPool) {
  DataConfig config;
  config.dataset = "xor";
  config.points = 600;
  config.validation_size = 100;
  const DataSplits splits = load_data(config, 5);
  EXPECT_EQ(splits.train.size(), 500u);
  EXPECT_EQ(splits.validation.size(), 100u);
  EXPECT_EQ(splits.test.size(), 600u);
  EXPECT_EQ(splits.train.classes, 2u);
  EXPECT_FLOAT_EQ(splits.normalizer.scale, synthetic_normalizer().scale);
  // The pool does not depend on the run seed (like a file): the union of train and validation
  // is the same for seed 5 and 6, while the split differs.
  const DataSplits other = load_data(config, 6);
  EXPECT_EQ(other.test.pixels, splits.test.pixels);
  EXPECT_NE(other.train.pixels, splits.train.pixels);
  // The test pool is a different draw from the training pool.
  EXPECT_NE(splits.test.pixels, make_synthetic("xor", 600, config.noise, 0).pixels);
  config.validation_size = 600;
  EXPECT_THROW(load_data(config, 5), ConfigError);
}

}  // namespace
}  // namespace actlab
