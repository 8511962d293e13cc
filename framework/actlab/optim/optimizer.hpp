#pragma once
// Optimizers with torch.optim (1.13) semantics and defaults, on one flat parameter buffer and one
// flat gradient buffer: each update is a single loop over floats and knows nothing about layers.
// Updates run with subnormal numbers flushed to zero (core/subnormals.hpp): a dead unit's decaying
// state becomes 0 instead of lingering as a subnormal that makes every update of it slow.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actlab {

struct OptimizerConfig {
  std::string name = "sgd";     // "sgd", "adam", "adamw", "adabelief"
  double learning_rate = 0.01;  // base lr; the schedule scales it and passes the result to step()
  double momentum = 0.0, dampening = 0.0;  // sgd
  bool nesterov = false;                   // sgd; needs momentum > 0 and dampening 0
  // Unset means the optimizer's PyTorch default: sgd 0, adam 0 (L2: wd·p added to the gradient),
  // adamw 0.01 (decoupled: p *= 1 - lr·wd before the Adam update), adabelief 0 (decoupled).
  std::optional<double> weight_decay;
  double beta1 = 0.9, beta2 = 0.999;  // adam, adamw, adabelief
  // Unset means the optimizer's default: 1e-8 for adam and adamw, 1e-16 for adabelief (whose eps
  // is added to a variance, not to a standard deviation: eps_adabelief ≈ eps_adam²).
  std::optional<double> eps;

  bool operator==(const OptimizerConfig&) const = default;
};

// The eps an optimizer uses when the config leaves it unset (see OptimizerConfig::eps).
double default_eps(std::string_view optimizer);

class Optimizer {
 public:
  explicit Optimizer(std::size_t parameter_count) : parameter_count_(parameter_count) {}
  virtual ~Optimizer() = default;
  virtual std::string_view name() const = 0;
  // One update with learning rate lr (already scheduled): update() of the whole buffer, then
  // finish_step(). params and grads have the length given to make_optimizer; throws
  // std::invalid_argument otherwise. Allocates nothing.
  void step(std::span<float> params, std::span<const float> grads, double lr);
  // Part of a step made slice by slice: updates the parameters at [offset, offset + size) of the
  // flat buffer, params and grads being that slice. Every update is elementwise, so a step made of
  // slices that cover each parameter once, in any order, followed by finish_step(), gives results
  // bit-identical to step(). The trainer updates piece by piece, summing each piece of the
  // gradient for the norms while it is in cache. Throws std::invalid_argument for a slice outside
  // the buffer.
  void update(std::span<float> params, std::span<const float> grads, std::size_t offset, double lr);
  // Ends a step made of update() calls.
  void finish_step() { ++steps_; }
  // Everything a checkpoint must save, besides steps(), to resume bit-identically: the named state
  // buffers (PyTorch's names: momentum_buffer; exp_avg, exp_avg_sq), each laid out as the
  // parameters. Empty for plain SGD.
  virtual std::vector<std::pair<std::string, std::span<float>>> state_buffers() = 0;
  // Number of completed steps (Adam's bias correction and SGD's first-step rule depend on it).
  std::uint64_t steps() const { return steps_; }
  void set_steps(std::uint64_t steps) { steps_ = steps; }
  std::size_t parameter_count() const { return parameter_count_; }

 protected:
  // The update of one slice (already checked), as part of step steps() + 1.
  virtual void update_slice(float* params, const float* grads, std::size_t offset, std::size_t size,
                            double lr) = 0;

 private:
  std::size_t parameter_count_;
  std::uint64_t steps_ = 0;
};

std::vector<std::string> optimizer_names();
// Throws ConfigError for an unknown name, nesterov without momentum (or with dampening), negative
// lr/momentum/dampening/weight decay, betas outside [0, 1), eps <= 0.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config,
                                          std::size_t parameter_count);

}  // namespace actlab
