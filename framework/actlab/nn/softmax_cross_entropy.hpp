#pragma once
// Softmax and cross-entropy fused on the logits, as torch.nn.functional.cross_entropy with
// reduction='mean' and optional label_smoothing. Never softmax then log: the log-probabilities come
// from log-sum-exp with the row maximum subtracted, so logits of ±1000 give exact, finite results.
#include <cstdint>
#include <span>

#include "actlab/core/matrix.hpp"

namespace actlab {

class ComputeTeam;

struct LossResult {
  double loss = 0;          // mean over the batch
  std::size_t correct = 0;  // rows whose largest logit is the label (first maximum wins)
};

// logits: (batch, classes)  labels: (batch) in [0, classes)  dlogits: (batch, classes) or empty.
// Writes d loss / d logits = (softmax - target) / batch when dlogits is given: loss and gradient
// from one pass over each row. On a team the rows are split between its members; the parts' sums
// are added in part order, so a team size always gives the same loss.
template <typename T>
LossResult softmax_cross_entropy(MatrixView<const T> logits, std::span<const std::int32_t> labels,
                                 double label_smoothing, MatrixView<T> dlogits,
                                 ComputeTeam* team = nullptr);
// The same for some rows of a batch of batch_rows rows: loss and gradient are divided by
// batch_rows, so that the results of all the batch's row ranges add up to the whole batch's.
template <typename T>
LossResult softmax_cross_entropy(MatrixView<const T> logits, std::span<const std::int32_t> labels,
                                 double label_smoothing, MatrixView<T> dlogits,
                                 std::size_t batch_rows, ComputeTeam* team = nullptr);

}  // namespace actlab
