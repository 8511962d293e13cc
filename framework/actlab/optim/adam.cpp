#include "actlab/optim/adam.hpp"

#include <cmath>

namespace actlab {

Adam::Adam(WeightDecay mode, double beta1, double beta2, double eps, double weight_decay,
           std::size_t parameter_count)
    : Optimizer(parameter_count),
      mode_(mode),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      exp_avg_(parameter_count, 0.0f),
      exp_avg_sq_(parameter_count, 0.0f) {}

// torch.optim.Adam / AdamW (1.13), step t = 1, 2, ...; per element in float, the scalars in double
// as PyTorch computes them with Python floats:
//   adamw: p ← p·(1 - lr·wd)            adam: g ← g + wd·p (if wd ≠ 0)
//   m ← β1·m + (1-β1)·g                 v ← β2·v + (1-β2)·g·g
//   denom = √v / √(1-β2^t) + eps        p ← p - (lr / (1-β1^t))·m / denom
void Adam::update_slice(float* p, const float* g, std::size_t offset, std::size_t n, double lr) {
  const std::uint64_t t = steps() + 1;
  const double bias_correction1 = 1.0 - std::pow(beta1_, static_cast<double>(t));
  const double bias_correction2 = 1.0 - std::pow(beta2_, static_cast<double>(t));
  const auto minus_step_size = static_cast<float>(-(lr / bias_correction1));
  const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const auto shrink = static_cast<float>(1.0 - lr * weight_decay_);
  const auto wd = static_cast<float>(weight_decay_);
  const bool decoupled = mode_ == WeightDecay::kDecoupled;
  const bool l2 = mode_ == WeightDecay::kL2 && weight_decay_ != 0;
  const auto beta1 = static_cast<float>(beta1_), beta2 = static_cast<float>(beta2_);
  const auto one_minus_beta1 = static_cast<float>(1.0 - beta1_);
  const auto one_minus_beta2 = static_cast<float>(1.0 - beta2_);
  const auto eps = static_cast<float>(eps_);

  float* m = exp_avg_.data() + offset;
  float* v = exp_avg_sq_.data() + offset;
  for (std::size_t i = 0; i < n; ++i) {
    if (decoupled) p[i] *= shrink;
    const float gi = l2 ? g[i] + wd * p[i] : g[i];
    m[i] = m[i] * beta1 + one_minus_beta1 * gi;
    v[i] = v[i] * beta2 + one_minus_beta2 * gi * gi;
    const float denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
    p[i] += minus_step_size * m[i] / denom;
  }
}

std::vector<std::pair<std::string, std::span<float>>> Adam::state_buffers() {
  return {{"exp_avg", std::span<float>(exp_avg_)}, {"exp_avg_sq", std::span<float>(exp_avg_sq_)}};
}

}  // namespace actlab
