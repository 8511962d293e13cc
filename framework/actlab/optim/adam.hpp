#pragma once
// torch.optim.Adam and torch.optim.AdamW: the same update, differing only in how weight decay
// enters (Adam adds wd·p to the gradient, AdamW shrinks p by 1 - lr·wd first).
#include "actlab/optim/optimizer.hpp"

namespace actlab {

class Adam final : public Optimizer {
 public:
  enum class WeightDecay { kL2, kDecoupled };  // adam, adamw

  // Takes a validated config (make_optimizer checks it).
  Adam(WeightDecay mode, double beta1, double beta2, double eps, double weight_decay,
       std::size_t parameter_count);

  std::string_view name() const override {
    return mode_ == WeightDecay::kDecoupled ? "adamw" : "adam";
  }
  std::vector<std::pair<std::string, std::span<float>>> state_buffers() override;

 private:
  void update_slice(float* params, const float* grads, std::size_t offset, std::size_t size,
                    double lr) override;

  WeightDecay mode_;
  double beta1_, beta2_, eps_, weight_decay_;
  std::vector<float> exp_avg_;     // (parameter_count) first moment m
  std::vector<float> exp_avg_sq_;  // (parameter_count) second moment v
};

}  // namespace actlab
