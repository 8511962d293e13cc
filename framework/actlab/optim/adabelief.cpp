#include "actlab/optim/adabelief.hpp"

#include <cmath>

namespace actlab {

AdaBelief::AdaBelief(double beta1, double beta2, double eps, double weight_decay,
                     std::size_t parameter_count)
    : Optimizer(parameter_count),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      exp_avg_(parameter_count, 0.0f),
      exp_avg_var_(parameter_count, 0.0f) {}

// Per element in float, the scalars in double as the package computes them with Python floats
// (see adabelief.hpp for the update).
void AdaBelief::update_slice(float* p, const float* g, std::size_t offset, std::size_t n,
                             double lr) {
  const std::uint64_t t = steps() + 1;
  const double bias_correction1 = 1.0 - std::pow(beta1_, static_cast<double>(t));
  const double bias_correction2 = 1.0 - std::pow(beta2_, static_cast<double>(t));
  const auto minus_step_size = static_cast<float>(-(lr / bias_correction1));
  const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const auto shrink = static_cast<float>(1.0 - lr * weight_decay_);
  const bool decay = weight_decay_ != 0;
  const auto beta1 = static_cast<float>(beta1_), beta2 = static_cast<float>(beta2_);
  const auto one_minus_beta1 = static_cast<float>(1.0 - beta1_);
  const auto one_minus_beta2 = static_cast<float>(1.0 - beta2_);
  const auto eps = static_cast<float>(eps_);

  float* m = exp_avg_.data() + offset;
  float* s = exp_avg_var_.data() + offset;
  for (std::size_t i = 0; i < n; ++i) {
    if (decay) p[i] *= shrink;
    m[i] = m[i] * beta1 + one_minus_beta1 * g[i];
    const float residual = g[i] - m[i];
    s[i] = s[i] * beta2 + one_minus_beta2 * residual * residual + eps;
    const float denom = std::sqrt(s[i]) / bias_correction2_sqrt + eps;
    p[i] += minus_step_size * m[i] / denom;
  }
}

std::vector<std::pair<std::string, std::span<float>>> AdaBelief::state_buffers() {
  return {{"exp_avg", std::span<float>(exp_avg_)}, {"exp_avg_var", std::span<float>(exp_avg_var_)}};
}

}  // namespace actlab
