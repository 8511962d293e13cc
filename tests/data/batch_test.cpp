// gather_batch against a direct computation; epoch_order is a seeded, uniform permutation.
#include "actlab/data/batch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>

#include "actlab/core/rng.hpp"

namespace actlab {
namespace {

// 10 examples of 37 features (not a multiple of any vector width, so the loop tails run too),
// random bytes including 0 and 255.
Dataset random_dataset() {
  Dataset data;
  data.name = "random";
  data.features = 37;
  data.classes = 10;
  Rng rng(3);
  data.pixels.resize(10 * data.features);
  for (auto& p : data.pixels)
    p = static_cast<std::uint8_t>(rng.below(256));
  data.pixels[0] = 0;
  data.pixels[1] = 255;
  for (int i = 0; i < 10; ++i)
    data.labels.push_back((i * 7) % 10);
  return data;
}

TEST(GatherBatch, MatchesADirectComputation) {
  const Dataset data = random_dataset();
  const std::vector<std::uint32_t> indices = {3, 0, 9, 3, 5};
  for (const Normalizer normalizer : {Normalizer{}, Normalizer{0.0110931f, -0.810198f}}) {
    Matrix<float> x(indices.size(), data.features);
    std::vector<std::int32_t> labels(indices.size(), -1);
    gather_batch(data, indices, normalizer, x.view(), labels);
    for (std::size_t r = 0; r < indices.size(); ++r) {
      EXPECT_EQ(labels[r], data.labels[indices[r]]);
      for (std::size_t j = 0; j < data.features; ++j) {
        const double byte = data.pixels[indices[r] * data.features + j];
        const double want = byte * double{normalizer.scale} + double{normalizer.shift};
        // One rounding (fused) or two (multiply, then add) of values below 2 in magnitude.
        EXPECT_NEAR(x(r, j), want, 4e-7) << r << "," << j;
      }
    }
  }
}

TEST(GatherBatch, ScaleMapsBytesOntoTheUnitInterval) {
  const Dataset data = random_dataset();
  const std::vector<std::uint32_t> indices = {0};
  Matrix<float> x(1, data.features);
  std::vector<std::int32_t> labels(1);
  gather_batch(data, indices, Normalizer{}, x.view(), labels);
  EXPECT_EQ(x(0, 0), 0.0f);
  EXPECT_EQ(x(0, 1), 1.0f);
}

TEST(GatherBatch, RefusesMismatchedShapesAndBadIndices) {
  const Dataset data = random_dataset();
  Matrix<float> x(2, data.features);
  std::vector<std::int32_t> labels(2);
  const std::vector<std::uint32_t> two = {0, 1}, three = {0, 1, 2}, outside = {0, 10};
  EXPECT_THROW(gather_batch(data, three, {}, x.view(), labels), std::invalid_argument);
  Matrix<float> narrow(2, data.features - 1);
  EXPECT_THROW(gather_batch(data, two, {}, narrow.view(), labels), std::invalid_argument);
  EXPECT_THROW(gather_batch(data, outside, {}, x.view(), labels), std::invalid_argument);
  EXPECT_NO_THROW(gather_batch(data, two, {}, x.view(), labels));
}

std::vector<std::uint32_t> order(std::size_t n, std::uint64_t seed, std::size_t epoch) {
  std::vector<std::uint32_t> out(n);
  epoch_order(n, seed, epoch, out);
  return out;
}

TEST(EpochOrder, IsAPermutation) {
  for (const std::size_t n : {0u, 1u, 2u, 1000u}) {
    auto perm = order(n, 42, 3);
    std::sort(perm.begin(), perm.end());
    std::vector<std::uint32_t> identity(n);
    std::iota(identity.begin(), identity.end(), 0u);
    EXPECT_EQ(perm, identity) << n;
  }
}

TEST(EpochOrder, DependsOnlyOnSeedAndEpoch) {
  EXPECT_EQ(order(1000, 42, 3), order(1000, 42, 3));
  EXPECT_NE(order(1000, 42, 3), order(1000, 42, 4));
  EXPECT_NE(order(1000, 42, 3), order(1000, 43, 3));
  // A fresh call for epoch 5 (a resumed run) equals the one made after epochs 0..4.
  for (std::size_t epoch = 0; epoch < 5; ++epoch)
    order(1000, 42, epoch);
  const auto after_others = order(1000, 42, 5);
  EXPECT_EQ(after_others, order(1000, 42, 5));
  // Shuffled: a random permutation has 1 fixed point on average; the identity has 1000.
  std::size_t fixed = 0;
  for (std::uint32_t i = 0; i < 1000; ++i)
    fixed += after_others[i] == i;
  EXPECT_LT(fixed, 10u);
}

TEST(EpochOrder, AllPermutationsAreEquallyLikely) {
  // 24 permutations of 4 elements over 4800 epochs: 200 expected each. Chi-squared with 23
  // degrees of freedom exceeds 49.7 with probability 0.001.
  std::map<std::vector<std::uint32_t>, int> counts;
  const int epochs = 4800;
  for (int epoch = 0; epoch < epochs; ++epoch)
    ++counts[order(4, 7, epoch)];
  EXPECT_EQ(counts.size(), 24u);
  double chi2 = 0;
  for (const auto& [perm, count] : counts)
    chi2 += (count - 200.0) * (count - 200.0) / 200.0;
  EXPECT_LT(chi2, 49.7);
}

TEST(EpochOrder, RefusesAWrongOutputSize) {
  std::vector<std::uint32_t> out(5);
  EXPECT_THROW(epoch_order(6, 1, 0, out), std::invalid_argument);
}

}  // namespace
}  // namespace actlab
