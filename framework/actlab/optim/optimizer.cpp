#include "actlab/optim/optimizer.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "actlab/core/error.hpp"
#include "actlab/core/subnormals.hpp"
#include "actlab/core/text.hpp"
#include "actlab/optim/adabelief.hpp"
#include "actlab/optim/adam.hpp"
#include "actlab/optim/sgd.hpp"

namespace actlab {
namespace {

// "optimizer 'adam': beta2 must be in [0, 1), got 1"
[[noreturn]] void reject(const OptimizerConfig& config, std::string_view key,
                         std::string_view requirement, double value) {
  std::ostringstream message;
  message << "optimizer '" << config.name << "': " << key << " must be " << requirement << ", got "
          << value;
  throw ConfigError(message.str());
}

// Written as !(value >= 0) so that NaN is rejected too.
void require_non_negative(const OptimizerConfig& config, std::string_view key, double value) {
  if (!(value >= 0) || std::isinf(value)) reject(config, key, ">= 0 and finite", value);
}

void require_beta(const OptimizerConfig& config, std::string_view key, double value) {
  if (!(value >= 0 && value < 1)) reject(config, key, "in [0, 1)", value);
}

}  // namespace

void Optimizer::step(std::span<float> params, std::span<const float> grads, double lr) {
  if (params.size() != parameter_count_ || grads.size() != parameter_count_)
    throw std::invalid_argument(std::string(name()) +
                                " step: params and grads must hold the parameter count");
  const FlushSubnormalsToZero flush;  // core/subnormals.hpp: update_slice is virtual, opaque here
  update_slice(params.data(), grads.data(), 0, parameter_count_, lr);
  finish_step();
}

void Optimizer::update(std::span<float> params, std::span<const float> grads, std::size_t offset,
                       double lr) {
  if (params.size() != grads.size() || offset > parameter_count_ ||
      params.size() > parameter_count_ - offset)
    throw std::invalid_argument(std::string(name()) +
                                " update: the slice must lie inside the parameter buffer");
  const FlushSubnormalsToZero flush;
  update_slice(params.data(), grads.data(), offset, params.size(), lr);
}

std::vector<std::string> optimizer_names() {
  return {"sgd", "adam", "adamw", "adabelief"};
}

double default_eps(std::string_view optimizer) {
  return optimizer == "adabelief" ? 1e-16 : 1e-8;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config,
                                          std::size_t parameter_count) {
  const bool sgd = config.name == "sgd", adam = config.name == "adam",
             adamw = config.name == "adamw", adabelief = config.name == "adabelief";
  if (!sgd && !adam && !adamw && !adabelief)
    throw ConfigError(unknown_name_message("optimizer", config.name, optimizer_names()));

  // The checks torch.optim's constructors make.
  require_non_negative(config, "learning_rate", config.learning_rate);
  const double weight_decay = config.weight_decay.value_or(adamw ? 0.01 : 0.0);
  require_non_negative(config, "weight_decay", weight_decay);
  if (sgd) {
    require_non_negative(config, "momentum", config.momentum);
    require_non_negative(config, "dampening", config.dampening);
    if (config.nesterov && !(config.momentum > 0 && config.dampening == 0)) {
      std::ostringstream message;
      message << "optimizer 'sgd': nesterov requires momentum > 0 and dampening 0, got momentum "
              << config.momentum << " and dampening " << config.dampening;
      throw ConfigError(message.str());
    }
    return std::make_unique<Sgd>(config.momentum, config.dampening, config.nesterov, weight_decay,
                                 parameter_count);
  }
  require_beta(config, "beta1", config.beta1);
  require_beta(config, "beta2", config.beta2);
  const double eps = config.eps.value_or(default_eps(config.name));
  if (!(eps > 0) || std::isinf(eps)) reject(config, "eps", "> 0 and finite", eps);
  if (adabelief)
    return std::make_unique<AdaBelief>(config.beta1, config.beta2, eps, weight_decay,
                                       parameter_count);
  return std::make_unique<Adam>(adamw ? Adam::WeightDecay::kDecoupled : Adam::WeightDecay::kL2,
                                config.beta1, config.beta2, eps, weight_decay, parameter_count);
}

}  // namespace actlab
