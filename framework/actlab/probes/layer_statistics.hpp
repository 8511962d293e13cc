#pragma once
// The per-layer measurements of the probes, as plain functions of matrices, so that each can be
// tested on hand-built values. Definitions (also in the README, "Probes"): for a hidden layer with
// pre-activation z (samples, units), output a = f(z) and derivative d = f'(z):
//   dead unit        d(x) = 0 for every probe sample x
//   saturated pair   |d| <= epsilon * max_x |f'(x)|
//   dormant unit     mean_x |a_j| / mean_k mean_x |a_k| <= tau   (Sokar et al. 2023)
#include <cstddef>
#include <span>
#include <vector>

#include "actlab/core/matrix.hpp"

namespace actlab {

// One flag per unit: true if the derivative is exactly 0 on every sample.
std::vector<bool> dead_units(MatrixView<const float> derivative);
double fraction_true(const std::vector<bool>& flags);

struct SaturationStatistics {
  double saturated_fraction = 0;      // of (unit, sample) pairs
  double units_mostly_saturated = 0;  // fraction of units saturated on >= 99 % of samples
};
SaturationStatistics saturation(MatrixView<const float> derivative, double epsilon,
                                double max_abs_derivative);

// Fraction of units whose normalised mean |activation| is <= tau (tau = 0: never non-zero).
double dormant_fraction(MatrixView<const float> activation, double tau);

struct ActivationStatistics {
  double mean = 0;
  double std = 0;
  double zero_fraction = 0;  // exact zeros
  double p2 = 0;             // 2nd percentile
  double p98 = 0;            // 98th percentile (Glorot & Bengio 2010 plot it)
  double median = 0;
  // The median over units of each unit's mean over the samples: the quantity of Clevert et al.
  // (2016), Figure 1. Unlike `median`, it is not pinned at 0 when half of a ReLU layer's outputs
  // are exact zeros.
  double unit_mean_median = 0;
};
// `scratch` is reused between calls to avoid allocating per probe.
ActivationStatistics activation_statistics(MatrixView<const float> activation,
                                           std::vector<float>& scratch);

// out[i] = the value of rank ranks[i] (0-based) among `values` in ascending order: what sorting
// and indexing would give, found by a radix select instead (one histogram pass over the leading
// bits, one pass gathering the values that share a wanted rank's bucket, a partial sort of those
// few), several times faster than std::nth_element on the probe set's 10⁵–10⁶ values. Orders -0
// before +0 and NaNs after +inf (before -inf when negative). `scratch` is reused between calls.
void values_at_ranks(std::span<const float> values, std::span<const std::size_t> ranks,
                     std::span<float> out, std::vector<float>& scratch);

// Frobenius norm, accumulated in double.
double frobenius_norm(MatrixView<const float> m);
// Least-squares slope of y against x.
double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace actlab
