#include "actlab/data/batch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/rng.hpp"
#include "actlab/core/vector_math.hpp"

namespace actlab {
namespace {

// Rng stream id (ASCII "epoch"); each epoch then gets its own stream from a seed drawn from it.
constexpr std::uint64_t kEpochOrderStream = 0x65706f6368;

}  // namespace

void check_batch(const Dataset& data, std::span<const std::uint32_t> indices,
                 MatrixView<const float> x, std::span<const std::int32_t> labels) {
  if (x.rows != indices.size() || x.cols != data.features || labels.size() != indices.size())
    throw std::invalid_argument("gather_batch: " + std::to_string(indices.size()) +
                                " indices, x is " + std::to_string(x.rows) + "×" +
                                std::to_string(x.cols) + ", " + std::to_string(labels.size()) +
                                " labels, " + std::to_string(data.features) + " features");
  for (const std::uint32_t example : indices)
    if (example >= data.size())
      throw std::invalid_argument("gather_batch: index " + std::to_string(example) + " outside " +
                                  data.name + " (" + std::to_string(data.size()) + " examples)");
}

void gather_rows(const Dataset& data, std::span<const std::uint32_t> indices,
                 const Normalizer& normalizer, MatrixView<float> x, std::span<std::int32_t> labels,
                 std::size_t begin, std::size_t end) noexcept {
  const float scale = normalizer.scale;
  const float shift = normalizer.shift;
  // Rows are scattered through the data set: a few rows ahead are requested while this one is
  // converted, so that their cache misses overlap instead of coming one row at a time.
  constexpr std::size_t kRowsAhead = 4;
  constexpr std::size_t kCacheLine = 64;
  auto request = [&](std::size_t r) {
    const std::uint8_t* row = data.pixels.data() + std::size_t{indices[r]} * data.features;
    for (std::size_t offset = 0; offset < data.features; offset += kCacheLine)
      __builtin_prefetch(row + offset, 0, 3);
  };
  for (std::size_t r = begin; r < std::min(end, begin + kRowsAhead); ++r)
    request(r);
  for (std::size_t r = begin; r < end; ++r) {
    if (r + kRowsAhead < end) request(r + kRowsAhead);
    const std::size_t example = indices[r];
    const std::uint8_t* in = data.pixels.data() + example * data.features;
    float* out = x.row(r);
    // Vectorises to byte→int→float conversions and one multiply-add per element.
#pragma omp simd
    for (std::size_t j = 0; j < data.features; ++j)
      out[j] = multiply_add(static_cast<float>(in[j]), scale, shift);
    labels[r] = data.labels[example];
  }
}

// x: (batch, features)  labels: (batch)  indices: (batch)
void gather_batch(const Dataset& data, std::span<const std::uint32_t> indices,
                  const Normalizer& normalizer, MatrixView<float> x, std::span<std::int32_t> labels,
                  ComputeTeam* team) {
  check_batch(data, indices, x, labels);
  // Rows split between the team's members, 16 rows (12.5k pixels of MNIST) at least each.
  parallel_for(team, indices.size(), 16, 1, [&](std::size_t, std::size_t begin, std::size_t end) {
    gather_rows(data, indices, normalizer, x, labels, begin, end);
  });
}

void prefetch_batch(const Dataset& data, std::span<const std::uint32_t> indices) {
  constexpr std::size_t kCacheLine = 64;
  for (const std::uint32_t example : indices) {
    if (example >= data.size()) continue;  // gather_batch reports it
    const std::uint8_t* row = data.pixels.data() + std::size_t{example} * data.features;
    for (std::size_t offset = 0; offset < data.features; offset += kCacheLine)
      __builtin_prefetch(row + offset, 0, 2);  // read, keep in the outer caches
  }
}

void epoch_order(std::size_t n, std::uint64_t seed, std::size_t epoch,
                 std::span<std::uint32_t> out) {
  if (out.size() != n)
    throw std::invalid_argument("epoch_order: n is " + std::to_string(n) + " but out holds " +
                                std::to_string(out.size()));
  if (n > std::size_t{std::numeric_limits<std::uint32_t>::max()} + 1)
    throw std::invalid_argument("epoch_order: " + std::to_string(n) +
                                " examples do not fit 32-bit indices");
  // Seeding each epoch from (seed, epoch) rather than continuing one generator is what makes a
  // resumed run reproducible: epoch 7 needs no record of epochs 0..6.
  Rng rng = Rng::stream(Rng::stream(seed, kEpochOrderStream).next(), epoch);
  std::iota(out.begin(), out.end(), std::uint32_t{0});
  // Fisher–Yates.
  for (std::size_t i = n; i > 1; --i)
    std::swap(out[i - 1], out[rng.below(i)]);
}

}  // namespace actlab
