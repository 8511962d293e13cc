#include "actlab/probes/layer_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace actlab {

std::vector<bool> dead_units(MatrixView<const float> derivative) {
  std::vector<bool> dead(derivative.cols, true);
  for (std::size_t r = 0; r < derivative.rows; ++r) {
    const float* row = derivative.row(r);
    for (std::size_t j = 0; j < derivative.cols; ++j)
      if (row[j] != 0.0f) dead[j] = false;
  }
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
  for (std::size_t r = 0; r < derivative.rows; ++r) {
    const float* row = derivative.row(r);
    for (std::size_t j = 0; j < derivative.cols; ++j) {
      const bool saturated = std::abs(static_cast<double>(row[j])) <= threshold;
      per_unit[j] += saturated;
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
  std::vector<double> mean_abs(activation.cols, 0.0);
  for (std::size_t r = 0; r < activation.rows; ++r) {
    const float* row = activation.row(r);
    for (std::size_t j = 0; j < activation.cols; ++j)
      mean_abs[j] += std::abs(row[j]);
  }
  double layer_mean = 0;
  for (double& m : mean_abs) {
    m /= static_cast<double>(activation.rows);
    layer_mean += m;
  }
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
  double sum = 0, sum_sq = 0;
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = activation.data[i];
    sum += v;
    sum_sq += v * v;
    zeros += v == 0.0;
  }
  s.mean = sum / static_cast<double>(n);
  s.std = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(n) - s.mean * s.mean));
  s.zero_fraction = static_cast<double>(zeros) / static_cast<double>(n);
  scratch.assign(activation.data, activation.data + n);
  // Percentiles by nearest rank: the value at index floor(q * (n - 1)) of the sorted values.
  auto percentile = [&](double q) {
    const auto k = static_cast<std::size_t>(q * static_cast<double>(n - 1));
    std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(k),
                     scratch.end());
    return static_cast<double>(scratch[k]);
  };
  s.p2 = percentile(0.02);
  s.median = percentile(0.5);
  s.p98 = percentile(0.98);
  return s;
}

double frobenius_norm(MatrixView<const float> m) {
  double sum = 0;
  for (std::size_t i = 0; i < m.size(); ++i)
    sum += static_cast<double>(m.data[i]) * m.data[i];
  return std::sqrt(sum);
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
