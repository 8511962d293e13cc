#pragma once
// One training step, written as the algorithm: forward → loss → backward → gradient norms →
// clipping → update → probes. This is the definition of a step. The execution engine
// (engine/step_engine.hpp) computes the same step faster, and the tests hold it to this one.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/matrix.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "actlab/optim/optimizer.hpp"
#include "actlab/probes/probes.hpp"

namespace actlab {

// Everything a step reads and changes. The trainer owns the parts; a step only works on them.
struct TrainingState {
  Sequential<float>& network;
  Optimizer& optimizer;
  Probes* probes = nullptr;  // null when probes are off
  Rng& layer_rng;            // dropout, rrelu and gumbel draws
  ClipConfig clip;
  double label_smoothing = 0;
};

// x: (rows, features)  labels: (rows)
struct Batch {
  MatrixView<const float> x;
  std::span<const std::int32_t> labels;
};

// Which step this is: `step` updates were made before it, in epoch `epoch` (1-based), and it
// updates with `learning_rate` (already scheduled).
struct StepPosition {
  std::size_t step = 0;
  std::size_t epoch = 0;
  double learning_rate = 0;
};

// What one step reports back to the loop.
struct StepResult {
  double loss = 0;          // mean over the batch
  std::size_t correct = 0;  // top-1 hits in the batch
  double grad_norm = 0;     // global L2 norm before clipping
  bool clipped = false;
  // False when the loss or a gradient is not finite; the parameters were then left unchanged.
  bool finite = true;
};

// The buffers a step writes besides the network's own, sized once so that a step allocates
// nothing.
struct StepBuffers {
  StepBuffers(Sequential<float>& network, std::size_t max_batch);

  Matrix<float> dlogits;                   // (batch, outputs): dL/d logits
  std::vector<double> tensor_square_sums;  // Σ g² of each named parameter, this step
  std::vector<double> tensor_norms;        // ‖gradient‖₂ of each named parameter, this step
  std::vector<std::span<float>> tensor_grads;  // the same gradients, for per-tensor clipping
};

// The loss of the network's output: binary cross-entropy on one logit for two classes, softmax
// cross-entropy otherwise. dlogits may be empty (evaluation).
LossResult output_loss(MatrixView<const float> logits, std::span<const std::int32_t> labels,
                       double label_smoothing, MatrixView<float> dlogits,
                       ComputeTeam* team = nullptr);

// The first half of a step, also all of what an init-only run measures: forward, loss, backward,
// and the gradient norms (per tensor into buffers.tensor_norms, the global one returned).
StepResult compute_gradients(TrainingState& state, const Batch& batch, StepBuffers& buffers);

// What the probes record once a step has updated: its gradient norms (taken before clipping) and
// the update ratios.
void observe_update(Probes& probes, const StepPosition& at, const StepResult& result,
                    const StepBuffers& buffers, std::size_t rows);

// One whole step on `batch`.
StepResult reference_step(TrainingState& state, const Batch& batch, const StepPosition& at,
                          StepBuffers& buffers);

// Clips the gradients as `clip` says; returns whether any was changed.
bool clip_gradients(Sequential<float>& network, const ClipConfig& clip,
                    std::span<const std::span<float>> tensor_grads);

// The global L2 norm of the gradients from the per-tensor sums of squares: the same arithmetic
// for the reference step and the engine, so that probes cannot change a clipping decision.
double global_norm_from_square_sums(std::span<const double> square_sums,
                                    std::span<double> tensor_norms);

}  // namespace actlab
