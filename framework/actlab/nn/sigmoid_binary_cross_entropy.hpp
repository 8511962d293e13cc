#pragma once
// Sigmoid and binary cross-entropy fused on the logit, as torch.nn.BCEWithLogitsLoss with
// reduction='mean', for two-class data: the network has one output z, p(class 1) = sigmoid(z).
// Never sigmoid then log: the loss comes from the log-sigmoid form
//   loss = max(z, 0) - z·y + log1p(exp(-|z|)),
// so logits of ±1000 give exact, finite results (1000 or 0, never inf or NaN).
#include <cstdint>
#include <span>

#include "actlab/core/matrix.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"  // LossResult

namespace actlab {

// logits: (batch, 1)  labels: (batch) in {0, 1}  dlogits: (batch, 1) or empty (data == nullptr).
// Returns the mean loss and `correct` = rows with (z > 0) == label; writes
// d loss / d z = (sigmoid(z) - y) / batch when dlogits is given.
template <typename T>
LossResult sigmoid_binary_cross_entropy(MatrixView<const T> logits,
                                        std::span<const std::int32_t> labels,
                                        MatrixView<T> dlogits);

// sigmoid(z) without overflow for any z: exp is only taken of -|z|.
double stable_sigmoid(double z);

}  // namespace actlab
