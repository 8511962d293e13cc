#include "actlab/nn/sigmoid_binary_cross_entropy.hpp"

#include <cassert>
#include <cmath>

namespace actlab {

double stable_sigmoid(double z) {
  const double e = std::exp(-std::abs(z));  // in (0, 1]
  return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

// -[y log σ(z) + (1-y) log(1-σ(z))] with log σ(z) = -log1p(exp(-z)) and log(1-σ(z)) = log σ(z) - z
// simplifies to max(z,0) - z·y + log1p(exp(-|z|)); d/dz = σ(z) - y.
template <typename T>
LossResult sigmoid_binary_cross_entropy(MatrixView<const T> logits,
                                        std::span<const std::int32_t> labels,
                                        MatrixView<T> dlogits) {
  assert(logits.cols == 1 && labels.size() == logits.rows);
  const double scale = 1.0 / static_cast<double>(logits.rows);
  LossResult result;
  double total = 0;
  for (std::size_t r = 0; r < logits.rows; ++r) {
    const double z = logits.data[r];
    const double y = labels[r] == 1 ? 1.0 : 0.0;
    total += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    result.correct += (z > 0) == (labels[r] == 1) ? 1 : 0;
    if (dlogits.data != nullptr) dlogits.data[r] = static_cast<T>((stable_sigmoid(z) - y) * scale);
  }
  result.loss = total * scale;
  return result;
}

template LossResult sigmoid_binary_cross_entropy<float>(MatrixView<const float>,
                                                        std::span<const std::int32_t>,
                                                        MatrixView<float>);
template LossResult sigmoid_binary_cross_entropy<double>(MatrixView<const double>,
                                                         std::span<const std::int32_t>,
                                                         MatrixView<double>);

}  // namespace actlab
