#include "actlab/train/training_step.hpp"

#include <cmath>

#include "actlab/core/sum_of_squares.hpp"
#include "actlab/nn/sigmoid_binary_cross_entropy.hpp"
#include "actlab/optim/clip.hpp"

namespace actlab {

StepBuffers::StepBuffers(Sequential<float>& network, std::size_t max_batch)
    : dlogits(max_batch, network.output_size()),
      tensor_square_sums(network.named_parameters().size()),
      tensor_norms(network.named_parameters().size()) {
  for (const auto& p : network.named_parameters())
    tensor_grads.emplace_back(p.grad.data, p.grad.size());
}

LossResult output_loss(MatrixView<const float> logits, std::span<const std::int32_t> labels,
                       double label_smoothing, MatrixView<float> dlogits, ComputeTeam* team) {
  if (logits.cols == 1) return sigmoid_binary_cross_entropy<float>(logits, labels, dlogits);
  return softmax_cross_entropy<float>(logits, labels, label_smoothing, dlogits, team);
}

double global_norm_from_square_sums(std::span<const double> square_sums,
                                    std::span<double> tensor_norms) {
  double total = 0;
  for (std::size_t i = 0; i < square_sums.size(); ++i) {
    tensor_norms[i] = std::sqrt(square_sums[i]);
    total += square_sums[i];
  }
  return std::sqrt(total);
}

bool clip_gradients(Sequential<float>& network, const ClipConfig& clip,
                    std::span<const std::span<float>> tensor_grads) {
  switch (clip.mode) {
    case ClipMode::kNone:
      return false;
    case ClipMode::kNorm:
      return clip_grad_norm(network.gradients(), clip.max_norm, clip.norm_type).clipped;
    case ClipMode::kValue:
      return clip_grad_value(network.gradients(), clip.value);
    case ClipMode::kLayerNorm:
      return clip_grad_norm_per_tensor(tensor_grads, clip.max_norm, clip.norm_type);
  }
  return false;
}

StepResult compute_gradients(TrainingState& state, const Batch& batch, StepBuffers& buffers) {
  const std::size_t rows = batch.x.rows;
  state.network.zero_grad();
  const MatrixView<float> logits =
      state.network.forward(batch.x, {.training = true, .rng = &state.layer_rng});
  const MatrixView<float> dlogits = buffers.dlogits.view().row_range(0, rows);
  const LossResult loss = output_loss(logits, batch.labels, state.label_smoothing, dlogits);
  state.network.backward(dlogits);

  const auto& named = state.network.named_parameters();
  for (std::size_t i = 0; i < named.size(); ++i)
    buffers.tensor_square_sums[i] =
        sum_of_squares(std::span<const float>(named[i].grad.data, named[i].grad.size()));
  StepResult result;
  result.loss = loss.loss;
  result.correct = loss.correct;
  result.grad_norm = global_norm_from_square_sums(buffers.tensor_square_sums, buffers.tensor_norms);
  result.finite = std::isfinite(result.loss) && std::isfinite(result.grad_norm);
  return result;
}

void observe_update(Probes& probes, const StepPosition& at, const StepResult& result,
                    const StepBuffers& buffers, std::size_t rows) {
  probes.observe_gradients(at.step, at.epoch, buffers.tensor_norms, result.grad_norm,
                           result.clipped, rows);
  probes.after_update(at.step, at.epoch);
}

StepResult reference_step(TrainingState& state, const Batch& batch, const StepPosition& at,
                          StepBuffers& buffers) {
  Probes* const probes = state.probes;
  if (probes && probes->due(at.step)) probes->measure(at.step, at.epoch);

  StepResult result = compute_gradients(state, batch, buffers);
  if (!result.finite) return result;
  result.clipped = clip_gradients(state.network, state.clip, buffers.tensor_grads);

  if (probes) probes->before_update(at.step);
  state.optimizer.step(state.network.parameters(), state.network.gradients(), at.learning_rate);
  if (probes) observe_update(*probes, at, result, buffers, batch.x.rows);
  return result;
}

}  // namespace actlab
