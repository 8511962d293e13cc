#pragma once
// torch.optim.SGD: momentum, dampening, Nesterov and L2 weight decay.
#include "actlab/optim/optimizer.hpp"

namespace actlab {

class Sgd final : public Optimizer {
 public:
  // Takes a validated config (make_optimizer checks it).
  Sgd(double momentum, double dampening, bool nesterov, double weight_decay,
      std::size_t parameter_count);

  std::string_view name() const override { return "sgd"; }
  std::vector<std::pair<std::string, std::span<float>>> state_buffers() override;

 private:
  void update_slice(float* params, const float* grads, std::size_t offset, std::size_t size,
                    double lr) override;

  double momentum_, dampening_, weight_decay_;
  bool nesterov_;
  std::vector<float> momentum_buffer_;  // (parameter_count) when momentum != 0, else empty
};

}  // namespace actlab
