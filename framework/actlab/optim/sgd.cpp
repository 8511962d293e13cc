#include "actlab/optim/sgd.hpp"

namespace actlab {

Sgd::Sgd(double momentum, double dampening, bool nesterov, double weight_decay,
         std::size_t parameter_count)
    : Optimizer(parameter_count),
      momentum_(momentum),
      dampening_(dampening),
      weight_decay_(weight_decay),
      nesterov_(nesterov),
      momentum_buffer_(momentum != 0 ? parameter_count : 0, 0.0f) {}

// torch.optim.SGD (1.13), per element, in float as PyTorch computes float32 parameters:
//   g ← g + wd·p                                     (if wd ≠ 0)
//   b ← g on the first step, else momentum·b + (1 - dampening)·g      (if momentum ≠ 0)
//   g ← g + momentum·b if nesterov, else b                            (if momentum ≠ 0)
//   p ← p - lr·g
// "First step" is steps() == 0, which a checkpoint restores together with the buffer.
void Sgd::update_slice(float* p, const float* g, std::size_t offset, std::size_t n, double lr) {
  // The scalars as PyTorch passes them to its float kernels (`alpha`, `value`: cast to float).
  const auto minus_lr = static_cast<float>(-lr);
  const auto wd = static_cast<float>(weight_decay_);
  const bool decay = weight_decay_ != 0;  // skipped, not multiplied by 0, so inf·0 never appears
  if (momentum_ == 0) {
    for (std::size_t i = 0; i < n; ++i) {
      const float d = decay ? g[i] + wd * p[i] : g[i];
      p[i] += minus_lr * d;
    }
  } else {
    float* buffer = momentum_buffer_.data() + offset;
    const auto momentum = static_cast<float>(momentum_);
    const auto keep = static_cast<float>(1.0 - dampening_);
    const bool first = steps() == 0;
    for (std::size_t i = 0; i < n; ++i) {
      const float d = decay ? g[i] + wd * p[i] : g[i];
      const float b = first ? d : buffer[i] * momentum + keep * d;
      buffer[i] = b;
      p[i] += minus_lr * (nesterov_ ? d + momentum * b : b);
    }
  }
}

std::vector<std::pair<std::string, std::span<float>>> Sgd::state_buffers() {
  if (momentum_buffer_.empty()) return {};
  return {{"momentum_buffer", std::span<float>(momentum_buffer_)}};
}

}  // namespace actlab
