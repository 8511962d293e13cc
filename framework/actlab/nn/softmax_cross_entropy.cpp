#include "actlab/nn/softmax_cross_entropy.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <utility>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/vector_math.hpp"

namespace actlab {

// For one row with m = max z, log-sum-exp = m + log Σ exp(z_k - m) and log p_k = z_k - lse.
// With smoothing ε over K classes the target is q = (1-ε)·onehot + ε/K, so
//   loss_row = -Σ q_k log p_k = lse - (1-ε) z_label - (ε/K) Σ z_k,   dloss_row/dz = p - q.
template <typename T>
LossResult softmax_cross_entropy(MatrixView<const T> logits, std::span<const std::int32_t> labels,
                                 double label_smoothing, MatrixView<T> dlogits, ComputeTeam* team) {
  return softmax_cross_entropy(logits, labels, label_smoothing, dlogits, logits.rows, team);
}

namespace {

// Rows [begin, end): the sum of their losses (not yet divided by the batch), the count of correct
// rows, and their rows of dlogits (already divided), each row on its own.
template <typename T>
LossResult rows_loss(MatrixView<const T> logits, std::span<const std::int32_t> labels,
                     double label_smoothing, MatrixView<T> dlogits, double scale, std::size_t begin,
                     std::size_t end) {
  const std::size_t classes = logits.cols;
  const double smooth = label_smoothing / static_cast<double>(classes);
  LossResult result;
  double total = 0;
  for (std::size_t r = begin; r < end; ++r) {
    const T* z = logits.row(r);
    const auto label = static_cast<std::size_t>(labels[r]);
    std::size_t argmax = 0;
    for (std::size_t k = 1; k < classes; ++k)
      if (z[k] > z[argmax]) argmax = k;
    const double max = z[argmax];
    double sum_exp = 0, sum_z = 0;
    // Vectorised (libmvec's exp, vector_math.hpp): a scalar exp per logit cost as much as a ReLU
    // layer's forward and backward together.
#pragma omp simd reduction(+ : sum_exp, sum_z)
    for (std::size_t k = 0; k < classes; ++k) {
      const double shifted = static_cast<double>(z[k]) - max;
      sum_exp += std::exp(shifted);
      sum_z += shifted;
    }
    const double log_sum = std::log(sum_exp);  // lse - max
    // Shifting every logit by -max changes no term of the loss, and keeps them all finite.
    const double shifted_label = static_cast<double>(z[label]) - max;
    total += log_sum - (1.0 - label_smoothing) * shifted_label - smooth * sum_z;
    result.correct += argmax == label ? 1 : 0;
    if (dlogits.data != nullptr) {
      T* dz = dlogits.row(r);
#pragma omp simd
      for (std::size_t k = 0; k < classes; ++k) {
        const double p = std::exp(static_cast<double>(z[k]) - max - log_sum);
        const double q = (k == label ? 1.0 - label_smoothing : 0.0) + smooth;
        dz[k] = static_cast<T>((p - q) * scale);
      }
    }
  }
  result.loss = total;
  return result;
}

// Rows per part when a batch's rows are split between a team's members: 32 rows of 10 classes take
// a few microseconds, a hand-off well under one.
constexpr std::size_t kRowsPerPart = 32;
constexpr std::size_t kMaxParts = 64;

}  // namespace

template <typename T>
LossResult softmax_cross_entropy(MatrixView<const T> logits, std::span<const std::int32_t> labels,
                                 double label_smoothing, MatrixView<T> dlogits,
                                 std::size_t batch_rows, ComputeTeam* team) {
  assert(labels.size() == logits.rows);
  const double scale = 1.0 / static_cast<double>(batch_rows);
  // Each part's sum is kept apart and the parts added in order, so that a team size always gives
  // the same loss; with one part this is a single sum in row order.
  const std::size_t rows = logits.rows;
  const std::size_t parts = std::min(kMaxParts, parallel_parts(team, rows, kRowsPerPart));
  std::array<LossResult, kMaxParts> partial{};
  auto part_loss = [&](int member) {
    const auto part = static_cast<std::size_t>(member);
    if (part >= parts) return;
    const std::pair<std::size_t, std::size_t> range = part_range(rows, parts, 1, part);
    partial[part] =
        rows_loss(logits, labels, label_smoothing, dlogits, scale, range.first, range.second);
  };
  if (parts == 1)
    part_loss(0);
  else
    team->run(part_loss);
  LossResult result;
  double total = 0;
  for (std::size_t part = 0; part < parts; ++part) {
    total += partial[part].loss;
    result.correct += partial[part].correct;
  }
  result.loss = total * scale;
  return result;
}

template LossResult softmax_cross_entropy<float>(MatrixView<const float>,
                                                 std::span<const std::int32_t>, double,
                                                 MatrixView<float>, ComputeTeam*);
template LossResult softmax_cross_entropy<float>(MatrixView<const float>,
                                                 std::span<const std::int32_t>, double,
                                                 MatrixView<float>, std::size_t, ComputeTeam*);
template LossResult softmax_cross_entropy<double>(MatrixView<const double>,
                                                  std::span<const std::int32_t>, double,
                                                  MatrixView<double>, ComputeTeam*);
template LossResult softmax_cross_entropy<double>(MatrixView<const double>,
                                                  std::span<const std::int32_t>, double,
                                                  MatrixView<double>, std::size_t, ComputeTeam*);

}  // namespace actlab
