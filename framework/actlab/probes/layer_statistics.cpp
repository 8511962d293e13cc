#include "actlab/probes/layer_statistics.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>

#include "actlab/core/sum_of_squares.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace actlab {
namespace {

// The mean over rows of each column (of |a| with `absolute`), accumulated in double.
std::vector<double> column_means(MatrixView<const float> a, bool absolute) {
  std::vector<double> means(a.cols, 0.0);
  double* __restrict sums = means.data();
  for (std::size_t r = 0; r < a.rows; ++r) {
    const float* __restrict row = a.row(r);
#pragma omp simd
    for (std::size_t j = 0; j < a.cols; ++j)
      sums[j] += absolute ? std::abs(static_cast<double>(row[j])) : static_cast<double>(row[j]);
  }
  for (double& m : means)
    m /= static_cast<double>(a.rows);
  return means;
}

}  // namespace

std::vector<bool> dead_units(MatrixView<const float> derivative) {
  // Counted in bytes, a loop that vectorises, rather than bit by bit in the vector<bool>.
  std::vector<unsigned char> alive(derivative.cols, 0);
  unsigned char* __restrict flags = alive.data();
  for (std::size_t r = 0; r < derivative.rows; ++r) {
    const float* __restrict row = derivative.row(r);
#pragma omp simd
    for (std::size_t j = 0; j < derivative.cols; ++j)
      flags[j] |= row[j] != 0.0f;
  }
  std::vector<bool> dead(derivative.cols);
  for (std::size_t j = 0; j < derivative.cols; ++j)
    dead[j] = alive[j] == 0;
  return dead;
}

double fraction_true(const std::vector<bool>& flags) {
  if (flags.empty()) return 0.0;
  return static_cast<double>(std::count(flags.begin(), flags.end(), true)) /
         static_cast<double>(flags.size());
}

SaturationStatistics saturation(MatrixView<const float> derivative, double epsilon,
                                double max_abs_derivative) {
  SaturationStatistics result;
  if (derivative.size() == 0) return result;
  const double threshold = epsilon * max_abs_derivative;
  std::vector<std::size_t> per_unit(derivative.cols, 0);
  std::size_t total = 0;
  std::size_t* __restrict counts = per_unit.data();
  for (std::size_t r = 0; r < derivative.rows; ++r) {
    const float* __restrict row = derivative.row(r);
#pragma omp simd reduction(+ : total)
    for (std::size_t j = 0; j < derivative.cols; ++j) {
      const std::size_t saturated = std::abs(static_cast<double>(row[j])) <= threshold;
      counts[j] += saturated;
      total += saturated;
    }
  }
  result.saturated_fraction = static_cast<double>(total) / static_cast<double>(derivative.size());
  std::size_t mostly = 0;
  for (std::size_t count : per_unit)
    mostly += static_cast<double>(count) >= 0.99 * static_cast<double>(derivative.rows);
  result.units_mostly_saturated =
      static_cast<double>(mostly) / static_cast<double>(derivative.cols);
  return result;
}

double dormant_fraction(MatrixView<const float> activation, double tau) {
  if (activation.cols == 0 || activation.rows == 0) return 0.0;
  const std::vector<double> mean_abs = column_means(activation, true);
  double layer_mean = 0;
  for (const double m : mean_abs)
    layer_mean += m;
  layer_mean /= static_cast<double>(activation.cols);
  std::size_t dormant = 0;
  for (double m : mean_abs) {
    // A layer that outputs only zeros: every score is 0/0, taken as 0, so every unit is dormant.
    const double score = layer_mean > 0 ? m / layer_mean : 0.0;
    dormant += score <= tau;
  }
  return static_cast<double>(dormant) / static_cast<double>(activation.cols);
}

ActivationStatistics activation_statistics(MatrixView<const float> activation,
                                           std::vector<float>& scratch) {
  ActivationStatistics s;
  const std::size_t n = activation.size();
  if (n == 0) return s;
  const float* a = activation.data;
  double sum = 0, sum_sq = 0;
  std::size_t zeros = 0;
#pragma omp simd reduction(+ : sum, sum_sq, zeros)
  for (std::size_t i = 0; i < n; ++i) {
    const double v = a[i];
    sum += v;
    sum_sq += v * v;
    zeros += v == 0.0;
  }
  s.mean = sum / static_cast<double>(n);
  s.std = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(n) - s.mean * s.mean));
  s.zero_fraction = static_cast<double>(zeros) / static_cast<double>(n);
  // Percentiles by nearest rank: the value at index floor(q * (n - 1)) of the sorted values.
  auto rank = [n](double q) { return static_cast<std::size_t>(q * static_cast<double>(n - 1)); };
  const std::array<std::size_t, 3> ranks = {rank(0.02), rank(0.5), rank(0.98)};
  std::array<float, 3> values{};
  values_at_ranks({a, n}, ranks, values, scratch);
  s.p2 = values[0];
  s.median = values[1];
  s.p98 = values[2];

  std::vector<double> unit_means = column_means(activation, false);
  // The same nearest-rank convention as the percentiles above (the lower median of an even count).
  const auto middle = unit_means.begin() + static_cast<std::ptrdiff_t>((unit_means.size() - 1) / 2);
  std::nth_element(unit_means.begin(), middle, unit_means.end());
  s.unit_mean_median = *middle;
  return s;
}

namespace {

// Maps a float to an unsigned key with the same order (negative floats have their bits reversed).
std::uint32_t order_key(float v) {
  const auto bits = std::bit_cast<std::uint32_t>(v);
  return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
}

constexpr int kRadixBits = 11;  // 2048 buckets of the leading key bits: the counts stay in L1
constexpr int kRadixShift = 32 - kRadixBits;
constexpr std::size_t kBuckets = std::size_t{1} << kRadixBits;
constexpr std::uint32_t kPlusZeroBucket = 0x80000000u >> kRadixShift;   // +0 and + denormals
constexpr std::uint32_t kMinusZeroBucket = 0x7fffffffu >> kRadixShift;  // - denormals and -0

// Spare elements after each gathered segment: the gather stores whole vectors (or, in scalar
// code, every value) at a segment's end and advances only past the values that belong there.
constexpr std::size_t kGatherSpare = 16;

// Copies the values whose bucket is wanted[w] to segments[position[w]...], advancing position[w].
// Branch-free, so that a wanted bucket holding a large share of the values (tanh's near ±1) costs
// no mispredictions: with AVX-512, 16 values at a time are compressed to those that match; without
// it, every value is stored and the position advances only on a match.
template <std::size_t kWanted>
void gather_buckets(std::span<const float> values, const std::uint32_t* wanted,
                    std::size_t* position, float* segments) {
  std::array<std::size_t, kWanted> at;
  std::copy(position, position + kWanted, at.begin());
  const float* v = values.data();
  const std::size_t n = values.size();
  std::size_t i = 0;
#if defined(__AVX512F__)
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  __m512i wanted_bucket[kWanted];
  for (std::size_t w = 0; w < kWanted; ++w)
    wanted_bucket[w] = _mm512_set1_epi32(static_cast<int>(wanted[w]));
  // The zero-masking shifts: GCC 12 warns about the undefined source of the plain ones.
  constexpr __mmask16 kAll = 0xffff;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(v + i);
    const __m512i bits = _mm512_castps_si512(x);
    // order_key, 16 at a time: flip every bit of a negative value, only the sign of a positive.
    const __m512i negative = _mm512_maskz_srai_epi32(kAll, bits, 31);
    const __m512i key = _mm512_xor_si512(bits, _mm512_or_si512(negative, sign_bit));
    const __m512i bucket = _mm512_maskz_srli_epi32(kAll, key, kRadixShift);
    for (std::size_t w = 0; w < kWanted; ++w) {
      const __mmask16 match = _mm512_cmpeq_epi32_mask(bucket, wanted_bucket[w]);
      // Compress in a register and store whole: a compressing store to memory is slow on some
      // AVX-512 CPUs.
      _mm512_storeu_ps(segments + at[w], _mm512_maskz_compress_ps(match, x));
      at[w] += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(match)));
    }
  }
#endif
  for (; i < n; ++i) {
    const std::uint32_t b = order_key(v[i]) >> kRadixShift;
    for (std::size_t w = 0; w < kWanted; ++w) {
      segments[at[w]] = v[i];
      at[w] += b == wanted[w];
    }
  }
  std::copy(at.begin(), at.end(), position);
}

// gather_buckets for `count` (1 to 4) wanted buckets.
void gather_buckets(std::span<const float> values, std::size_t count, const std::uint32_t* wanted,
                    std::size_t* position, float* segments) {
  switch (count) {
    case 1:
      return gather_buckets<1>(values, wanted, position, segments);
    case 2:
      return gather_buckets<2>(values, wanted, position, segments);
    case 3:
      return gather_buckets<3>(values, wanted, position, segments);
    case 4:
      return gather_buckets<4>(values, wanted, position, segments);
    default:
      return;
  }
}

// Histogram of the values' leading bits. Four interleaved tables, summed after: a run of equal
// values would otherwise chain every increment on the previous one.
std::array<std::size_t, kBuckets> bucket_counts(std::span<const float> values) {
  const float* v = values.data();
  const std::size_t n = values.size();
  std::array<std::array<std::uint32_t, kBuckets>, 4> partial{};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (std::size_t k = 0; k < 4; ++k)
      ++partial[k][order_key(v[i + k]) >> kRadixShift];
  for (; i < n; ++i)
    ++partial[0][order_key(v[i]) >> kRadixShift];
  std::array<std::size_t, kBuckets> counts{};
  for (std::size_t b = 0; b < kBuckets; ++b)
    counts[b] = std::size_t{partial[0][b]} + partial[1][b] + partial[2][b] + partial[3][b];
  return counts;
}

}  // namespace

void values_at_ranks(std::span<const float> values, std::span<const std::size_t> ranks,
                     std::span<float> out, std::vector<float>& scratch) {
  assert(out.size() == ranks.size());
  const std::size_t n = values.size();
  const float* v = values.data();

  const std::array<std::size_t, kBuckets> counts = bucket_counts(values);

  // Exact zeros (ReLU's half of the values) are answered without gathering them: a rank inside
  // the run of +0s (first in their bucket) or of -0s (last in theirs) is a zero.
  std::size_t plus_zeros = 0, minus_zeros = 0;
  bool zeros_counted = false;
  auto rank_is_zero = [&](std::uint32_t bucket, std::size_t within) {
    if (bucket != kPlusZeroBucket && bucket != kMinusZeroBucket) return false;
    if (!zeros_counted) {
#pragma omp simd reduction(+ : plus_zeros, minus_zeros)
      for (std::size_t k = 0; k < n; ++k) {
        const auto bits = std::bit_cast<std::uint32_t>(v[k]);
        plus_zeros += bits == 0u;
        minus_zeros += bits == 0x80000000u;
      }
      zeros_counted = true;
    }
    return bucket == kPlusZeroBucket ? within < plus_zeros : within >= counts[bucket] - minus_zeros;
  };

  // Up to four ranks at a time: the bucket of each and the rank within it, the values of each
  // wanted bucket (once, however many ranks fall in it) gathered into a segment of scratch, and a
  // partial sort of that segment.
  constexpr std::size_t kMaxRanks = 4;
  for (std::size_t first_rank = 0; first_rank < ranks.size(); first_rank += kMaxRanks) {
    const std::size_t count = std::min(kMaxRanks, ranks.size() - first_rank);
    std::array<std::uint32_t, kMaxRanks> wanted{};
    std::array<std::size_t, kMaxRanks> slot{}, within{}, start{}, position{};
    std::array<bool, kMaxRanks> zero{};  // the rank is in the run of +0s or -0s
    std::array<float, kMaxRanks> zero_value{};
    std::size_t buckets = 0, total = 0;
    for (std::size_t r = 0; r < count; ++r) {
      const std::size_t rank = ranks[first_rank + r];
      assert(rank < n);
      std::size_t below = 0;
      std::uint32_t b = 0;
      while (below + counts[b] <= rank)
        below += counts[b++];
      within[r] = rank - below;
      zero[r] = rank_is_zero(b, within[r]);
      if (zero[r]) {
        zero_value[r] = b == kPlusZeroBucket ? 0.0f : -0.0f;
        continue;
      }
      slot[r] = static_cast<std::size_t>(std::find(wanted.begin(), wanted.begin() + buckets, b) -
                                         wanted.begin());
      if (slot[r] == buckets) {
        wanted[buckets] = b;
        start[buckets] = total;
        total += counts[b] + kGatherSpare;
        ++buckets;
      }
    }
    scratch.resize(total);
    position = start;
    gather_buckets(values, buckets, wanted.data(), position.data(), scratch.data());
    for (std::size_t r = 0; r < count; ++r) {
      if (zero[r]) {
        out[first_rank + r] = zero_value[r];
        continue;
      }
      const auto segment = scratch.begin() + static_cast<std::ptrdiff_t>(start[slot[r]]);
      const auto segment_end = scratch.begin() + static_cast<std::ptrdiff_t>(position[slot[r]]);
      const auto nth = segment + static_cast<std::ptrdiff_t>(within[r]);
      std::nth_element(segment, nth, segment_end,
                       [](float a, float b) { return order_key(a) < order_key(b); });
      out[first_rank + r] = *nth;
    }
  }
}

double frobenius_norm(MatrixView<const float> m) {
  return std::sqrt(sum_of_squares({m.data, m.size()}));
}

double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx > 0 ? sxy / sxx : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace actlab
