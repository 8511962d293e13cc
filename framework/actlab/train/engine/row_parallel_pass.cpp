#include "actlab/train/engine/row_parallel_pass.hpp"

#include <algorithm>

namespace actlab {

bool RowParallelPass::supports(const Sequential<float>& network) {
  if (network.layer_count() == 0 || network.output_size() < 2) return false;
  for (std::size_t i = 0; i < network.layer_count(); ++i) {
    const auto* layer = dynamic_cast<const RowParallelLayer<float>*>(&network.layer(i));
    if (layer == nullptr || !layer->runs_by_rows()) return false;
  }
  return true;
}

RowParallelPass::RowParallelPass(Sequential<float>& network, ComputeTeam& team)
    : network_(network), team_(team) {
  const std::size_t members = team_size(&team);
  const std::span<float> grads = network.gradients();
  partial_.resize(members - 1);
  for (Matrix<float>& part : partial_)
    part.resize(1, grads.size());
  layers_.resize(network.layer_count());
  grads_of_.resize(network.layer_count());
  for (std::size_t i = 0; i < network.layer_count(); ++i)
    layers_[i] = dynamic_cast<RowParallelLayer<float>*>(&network.layer(i));
  for (const auto& p : network.named_parameters())
    grads_of_[p.layer_index].push_back(p.grad);
  // Member p's views of its gradient shares, layer by layer, fixed for the pass's life.
  const float* const grads_base = grads.data();
  share_grads_.resize(members);
  for (std::size_t member = 0; member < members; ++member) {
    share_grads_[member].resize(network.layer_count());
    for (std::size_t i = 0; i < network.layer_count(); ++i)
      for (const MatrixView<float>& grad : grads_of_[i])
        share_grads_[member][i].push_back(
            member == 0 ? grad
                        : MatrixView<float>{partial_[member - 1].data() + (grad.data - grads_base),
                                            grad.rows, grad.cols});
  }
  inputs_.resize(network.layer_count());
  outputs_.resize(network.layer_count());
  output_grads_.resize(network.layer_count());
  member_losses_.resize(members);
  shares_.reserve(members - 1);
}

LossResult RowParallelPass::run(const Batch& batch, double label_smoothing,
                                MatrixView<float> dlogits) {
  const std::size_t rows = batch.x.rows, layer_count = layers_.size();
  const std::size_t members = team_size(&team_);
  Sequential<float>& network = network_;
  network.set_input(batch.x);
  // Everything that changes a layer's or the network's state, on this thread before the members
  // start.
  const ForwardContext context{.training = true, .rng = nullptr, .team = nullptr};
  for (std::size_t i = 0; i < layer_count; ++i) {
    outputs_[i] = network.output_buffer(i, rows);
    output_grads_[i] = network.output_grad_buffer(i, rows);
    inputs_[i] = i == 0 ? batch.x : MatrixView<const float>(outputs_[i - 1]);
    layers_[i]->begin_rows(inputs_[i], outputs_[i], context);
  }
  std::fill(member_losses_.begin(), member_losses_.end(), LossResult{});

  auto run_rows = [&](int member_id) {
    const auto member = static_cast<std::size_t>(member_id);
    const auto [first, last] = part_range(rows, members, 1, member);
    if (first == last) return;
    for (std::size_t i = 0; i < layer_count; ++i)
      layers_[i]->forward_rows(inputs_[i], outputs_[i], first, last);
    const MatrixView<const float> logits = outputs_[layer_count - 1];
    member_losses_[member] = softmax_cross_entropy<float>(
        logits.row_range(first, last - first), batch.labels.subspan(first, last - first),
        label_smoothing, dlogits.row_range(first, last - first), rows);
    std::copy(dlogits.row(first), dlogits.row(last), output_grads_[layer_count - 1].row(first));
    for (std::size_t i = layer_count; i-- > 0;) {
      const MatrixView<float> dx = i > 0 ? output_grads_[i - 1] : MatrixView<float>{};
      layers_[i]->backward_rows(output_grads_[i], inputs_[i], dx, share_grads_[member][i], first,
                                last);
    }
  };
  team_.run(run_rows);

  shares_.clear();  // within capacity
  for (std::size_t member = 1; member < members; ++member) {
    const auto [first, last] = part_range(rows, members, 1, member);
    if (first < last)
      shares_.emplace_back(partial_[member - 1].data(), partial_[member - 1].size());
  }
  LossResult loss;
  for (const LossResult& part : member_losses_) {
    loss.loss += part.loss;
    loss.correct += part.correct;
  }
  return loss;
}

void RowParallelPass::add_shares() {
  float* const grads = network_.gradients().data();
  parallel_for(&team_, network_.gradients().size(), kElementsPerPart, 16,
               [&](std::size_t, std::size_t begin, std::size_t end) {
                 for (const std::span<const float> share : shares_) {
                   const float* from = share.data();
#pragma omp simd
                   for (std::size_t k = begin; k < end; ++k)
                     grads[k] += from[k];
                 }
               });
  shares_.clear();
}

}  // namespace actlab
