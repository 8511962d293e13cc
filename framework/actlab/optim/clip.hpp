#pragma once
// Gradient clipping with torch.nn.utils semantics, on flat gradient buffers.
#include <span>

namespace actlab {

// The p-norm of all values together: p = 2 (L2), 1 (L1) or +inf (max |g|).
// Accumulated in double, so the result does not depend on the order of tensors.
double global_norm(std::span<const float> values, double norm_type = 2.0);
double global_norm(std::span<const double> values, double norm_type = 2.0);

struct ClipResult {
  double total_norm = 0;  // before clipping
  bool clipped = false;
};

// clip_grad_norm_: if max_norm / (total_norm + 1e-6) < 1, scales every gradient by it. A NaN
// gradient makes total_norm NaN (the trainer's divergence signal) and leaves the gradients as they
// are, where PyTorch would multiply them all by NaN.
template <typename T>
ClipResult clip_grad_norm(std::span<T> grads, double max_norm, double norm_type = 2.0);
// clip_grad_norm applied to each tensor on its own (per-layer clipping): tensor i is scaled by
// max_norm / (norm_i + 1e-6) when that is < 1. Returns whether any tensor was clipped, and writes
// tensor i's result to results[i] when `results` is given (it then holds tensors.size()).
// Allocates nothing.
template <typename T>
bool clip_grad_norm_per_tensor(std::span<const std::span<T>> tensors, double max_norm,
                               double norm_type = 2.0, std::span<ClipResult> results = {});
// clip_grad_value_: clamps each gradient to [-clip_value, clip_value]. Returns whether any changed.
template <typename T>
bool clip_grad_value(std::span<T> grads, double clip_value);

}  // namespace actlab
