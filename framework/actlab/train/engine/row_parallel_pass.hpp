#pragma once
// The row-parallel pass: forward, loss and backward of a whole step with the batch's rows cut
// between a team's members, each running its rows from the input through every layer to the loss
// and back, with no hand-off between layers. For networks of RowParallelLayers only (Linear and
// activations without a learnable parameter) with a softmax output. Member 0 writes its rows'
// share of the parameter gradients into the network's gradients, every other member into a buffer
// of its own: the gradients are complete once the shares are added (add_shares(), or the fused
// update piece by piece). Same results as forward, loss and backward on the whole batch, up to the
// order of the gradient sums.
#include <cstddef>
#include <span>
#include <vector>

#include "actlab/core/compute_team.hpp"
#include "actlab/nn/row_parallel_layer.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "actlab/train/training_step.hpp"

namespace actlab {

class RowParallelPass {
 public:
  // Whether `network` can run this way: every layer a RowParallelLayer that runs by rows, and a
  // softmax output (more than one logit).
  static bool supports(const Sequential<float>& network);

  // Buffers for the shares of `team`'s members; `network` must be planned and outlive the pass.
  RowParallelPass(Sequential<float>& network, ComputeTeam& team);

  // The pass on `batch`: leaves the layers' outputs and output gradients in the network's buffers
  // as forward() and backward() would, dL/d logits in `dlogits`, and the gradient shares pending.
  // Returns the batch's loss (the members' parts added in member order).
  LossResult run(const Batch& batch, double label_smoothing, MatrixView<float> dlogits);

  // The other members' shares of the last pass, laid out as the network's gradients, in member
  // order (members that had no rows left out).
  std::span<const std::span<const float>> shares() const { return shares_; }
  // gradients += every share, the buffer cut between the team's members.
  void add_shares();

 private:
  Sequential<float>& network_;
  ComputeTeam& team_;
  std::vector<RowParallelLayer<float>*> layers_;
  // grads_of_[i]: layer i's gradient views, in its parameter_shapes() order.
  std::vector<std::vector<MatrixView<float>>> grads_of_;
  // partial_[p - 1]: member p's share of the gradients, laid out as the network's gradients.
  std::vector<Matrix<float>> partial_;
  // share_grads_[p][i]: layer i's gradient views into member p's share (member 0: the network's).
  std::vector<std::vector<std::vector<MatrixView<float>>>> share_grads_;
  // The pass's views of layer i's input, output and dL/d output, set before the members start.
  std::vector<MatrixView<const float>> inputs_;
  std::vector<MatrixView<float>> outputs_, output_grads_;
  std::vector<LossResult> member_losses_;
  std::vector<std::span<const float>> shares_;
};

}  // namespace actlab
