#include "actlab/optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "actlab/core/sum_of_squares.hpp"

namespace actlab {
namespace {

template <typename T>
double norm_of(std::span<const T> values, double norm_type) {
  if (std::isinf(norm_type)) {
    double max = 0;
    for (T v : values) {
      const double a = std::abs(static_cast<double>(v));
      if (std::isnan(a)) return a;  // a NaN anywhere makes the norm NaN, as in PyTorch
      max = std::max(max, a);
    }
    return max;
  }
  if (norm_type == 2.0) return std::sqrt(sum_of_squares(values));
  double sum = 0;
  const T* x = values.data();
  const std::size_t n = values.size();
  // Partial sums in vector lanes: a fixed order for a given build, several times faster than one
  // chain of dependent additions.
  if (norm_type == 1.0) {
#pragma omp simd reduction(+ : sum)
    for (std::size_t i = 0; i < n; ++i)
      sum += std::abs(static_cast<double>(x[i]));
    return sum;
  }
  for (T v : values)
    sum += std::pow(std::abs(static_cast<double>(v)), norm_type);
  return std::pow(sum, 1.0 / norm_type);
}

}  // namespace

double global_norm(std::span<const float> values, double norm_type) {
  return norm_of(values, norm_type);
}
double global_norm(std::span<const double> values, double norm_type) {
  return norm_of(values, norm_type);
}

template <typename T>
ClipResult clip_grad_norm(std::span<T> grads, double max_norm, double norm_type) {
  ClipResult result;
  result.total_norm = norm_of(std::span<const T>(grads.data(), grads.size()), norm_type);
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1.
  const double coefficient = max_norm / (result.total_norm + 1e-6);
  if (coefficient < 1.0) {
    const auto c = static_cast<T>(coefficient);
    for (T& g : grads)
      g *= c;
    result.clipped = true;
  }
  return result;
}

template <typename T>
bool clip_grad_value(std::span<T> grads, double clip_value) {
  const auto limit = static_cast<T>(clip_value);
  bool changed = false;
  for (T& g : grads) {
    const T clamped = std::clamp(g, -limit, limit);
    changed |= clamped != g;
    g = clamped;
  }
  return changed;
}

template <typename T>
bool clip_grad_norm_per_tensor(std::span<const std::span<T>> tensors, double max_norm,
                               double norm_type, std::span<ClipResult> results) {
  if (!results.empty() && results.size() != tensors.size())
    throw std::invalid_argument("clip_grad_norm_per_tensor: " + std::to_string(results.size()) +
                                " results for " + std::to_string(tensors.size()) + " tensors");
  bool clipped = false;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const ClipResult result = clip_grad_norm(tensors[i], max_norm, norm_type);
    clipped = clipped || result.clipped;
    if (!results.empty()) results[i] = result;
  }
  return clipped;
}

template ClipResult clip_grad_norm<float>(std::span<float>, double, double);
template ClipResult clip_grad_norm<double>(std::span<double>, double, double);
template bool clip_grad_norm_per_tensor<float>(std::span<const std::span<float>>, double, double,
                                               std::span<ClipResult>);
template bool clip_grad_norm_per_tensor<double>(std::span<const std::span<double>>, double, double,
                                                std::span<ClipResult>);
template bool clip_grad_value<float>(std::span<float>, double);
template bool clip_grad_value<double>(std::span<double>, double);

}  // namespace actlab
