#pragma once
// AdaBelief (Zhuang et al., NeurIPS 2020) with the semantics of the adabelief-pytorch package
// (0.2.x): Adam's update, but the second moment tracks the "belief" (g - m)², the squared deviation
// of the gradient from its running mean, instead of g²:
//   p ← p·(1 - lr·wd)                              (weight_decouple = True, fixed_decay = False)
//   m ← β1·m + (1-β1)·g
//   s ← β2·s + (1-β2)·(g - m)² + eps               (eps stays in s: the package adds it in place)
//   denom = √s / √(1-β2^t) + eps                   p ← p - (lr / (1-β1^t))·m / denom
// The package's defaults are lr 1e-3, betas (0.9, 0.999), eps 1e-16, weight_decay 0,
// weight_decouple True, fixed_decay False, amsgrad False, and rectify True (RAdam's rectified
// step). This implementation is the paper's algorithm: rectify False, amsgrad False; the rest as
// the package. Set rectify=False in the package to compare.
#include "actlab/optim/optimizer.hpp"

namespace actlab {

class AdaBelief final : public Optimizer {
 public:
  // Takes a validated config (make_optimizer checks it).
  AdaBelief(double beta1, double beta2, double eps, double weight_decay,
            std::size_t parameter_count);

  std::string_view name() const override { return "adabelief"; }
  // The package's names: exp_avg (m), exp_avg_var (s).
  std::vector<std::pair<std::string, std::span<float>>> state_buffers() override;

 private:
  void update_slice(float* params, const float* grads, std::size_t offset, std::size_t size,
                    double lr) override;

  double beta1_, beta2_, eps_, weight_decay_;
  std::vector<float> exp_avg_;      // (parameter_count) m
  std::vector<float> exp_avg_var_;  // (parameter_count) s
};

}  // namespace actlab
