#include "actlab/train/engine/step_engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "actlab/data/batch.hpp"

namespace actlab {
namespace {

// The row-parallel pass for networks no wider than this: narrow layers make small GEMMs, whose
// split between members costs more than adding the members' gradient shares (BENCHMARKS.md).
constexpr std::size_t kWidestByRows = 128;

std::size_t widest_layer(const Sequential<float>& network) {
  std::size_t widest = 0;
  for (std::size_t i = 0; i < network.layer_count(); ++i)
    widest = std::max(widest, network.layer(i).output_size());
  return widest;
}

}  // namespace

StepEngine::StepEngine(int threads, Sequential<float>& network, Optimizer& optimizer,
                       const Dataset& train, const Normalizer& normalizer, std::size_t batch_size)
    : team_(threads),
      train_(train),
      normalizer_(normalizer),
      x_(batch_size, train.features),
      labels_(batch_size),
      update_(network, optimizer, team_) {
  if (threads == 1) return;
  staged_.emplace(train, normalizer, team_, batch_size);
  if (RowParallelPass::supports(network) && widest_layer(network) <= kWidestByRows)
    rows_.emplace(network, team_);
}

Batch StepEngine::fetch(std::span<const std::uint32_t> indices,
                        std::span<const std::uint32_t> next_indices) {
  if (!staged_) {
    prefetch_batch(train_, next_indices);
  } else if (const std::optional<Batch> staged = staged_->take(indices)) {
    staged_->stage(next_indices);
    return *staged;
  }
  const std::size_t rows = indices.size();
  const MatrixView<float> x = x_.view().row_range(0, rows);
  const std::span<std::int32_t> labels(labels_.data(), rows);
  gather_batch(train_, indices, normalizer_, x, labels, &team_);
  if (staged_) staged_->stage(next_indices);
  return {x, labels};
}

double StepEngine::complete_gradients(TrainingState& state, MatrixView<const float> dlogits,
                                      StepBuffers& buffers) {
  if (rows_)
    rows_->add_shares();
  else
    state.network.backward(dlogits);
  update_.square_sums(buffers.tensor_square_sums);
  return global_norm_from_square_sums(buffers.tensor_square_sums, buffers.tensor_norms);
}

StepResult StepEngine::step(TrainingState& state, const Batch& batch, const StepPosition& at,
                            StepBuffers& buffers) {
  Probes* const probes = state.probes;
  if (probes && probes->due(at.step)) probes->measure(at.step, at.epoch);

  // Forward and loss (and, by rows, the backward too).
  const MatrixView<float> dlogits = buffers.dlogits.view().row_range(0, batch.x.rows);
  state.network.zero_grad();
  LossResult loss;
  if (rows_) {
    loss = rows_->run(batch, state.label_smoothing, dlogits);
  } else {
    const MatrixView<float> logits =
        state.network.forward(batch.x, {.training = true, .rng = &state.layer_rng, .team = &team_});
    loss = output_loss(logits, batch.labels, state.label_smoothing, dlogits, &team_);
  }
  StepResult result;
  result.loss = loss.loss;
  result.correct = loss.correct;
  if (!std::isfinite(loss.loss)) {
    result.grad_norm = complete_gradients(state, dlogits, buffers);
    result.finite = false;
    return result;
  }

  if (probes) probes->before_update(at.step);
  if (state.clip.mode == ClipMode::kNone) {
    // Backward, then the norms and the update in one pass; after a pass by rows that pass adds
    // the other members' shares to each piece itself.
    if (!rows_) state.network.backward(dlogits);
    const std::span<const std::span<const float>> shares =
        rows_ ? rows_->shares() : std::span<const std::span<const float>>();
    const bool finite =
        update_.update_with_square_sums(at.learning_rate, shares, buffers.tensor_square_sums);
    result.grad_norm =
        finite ? global_norm_from_square_sums(buffers.tensor_square_sums, buffers.tensor_norms)
               : std::numeric_limits<double>::quiet_NaN();
    result.finite = std::isfinite(result.grad_norm);
    if (!result.finite) return result;
    state.optimizer.finish_step();
  } else {
    result.grad_norm = complete_gradients(state, dlogits, buffers);
    result.finite = std::isfinite(result.grad_norm);
    if (!result.finite) return result;
    result.clipped = clip_gradients(state.network, state.clip, buffers.tensor_grads);
    update_.update(at.learning_rate);
  }
  if (probes) observe_update(*probes, at, result, buffers, batch.x.rows);
  return result;
}

}  // namespace actlab
