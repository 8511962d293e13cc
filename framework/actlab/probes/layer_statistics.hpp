#pragma once
// The per-layer measurements of the probes, as plain functions of matrices, so that each can be
// tested on hand-built values. Definitions (also in the README, "Probes"): for a hidden layer with
// pre-activation z (samples, units), output a = f(z) and derivative d = f'(z):
//   dead unit        d(x) = 0 for every probe sample x
//   saturated pair   |d| <= epsilon * max_x |f'(x)|
//   dormant unit     mean_x |a_j| / mean_k mean_x |a_k| <= tau   (Sokar et al. 2023)
#include <cstddef>
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
};
// `scratch` is reused between calls to avoid allocating per probe.
ActivationStatistics activation_statistics(MatrixView<const float> activation,
                                           std::vector<float>& scratch);

// Frobenius norm, accumulated in double.
double frobenius_norm(MatrixView<const float> m);
// Least-squares slope of y against x.
double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace actlab
