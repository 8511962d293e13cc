// Trainer's checkpoint and resume: everything a run needs to continue bit-identically after an
// epoch end.
#include <algorithm>

#include "actlab/core/error.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"

namespace actlab {

Checkpoint Trainer::checkpoint(std::size_t epoch, std::size_t step, double elapsed) const {
  Checkpoint c;
  c.config = training_fingerprint(config_);
  c.epoch = epoch;
  c.step = step;
  c.elapsed_seconds = elapsed;
  const auto params = network_.parameters();
  c.parameters.assign(params.begin(), params.end());
  for (const auto& state : network_.named_state())
    c.network_state.emplace_back(
        state.name, std::vector<float>(state.value.data, state.value.data + state.value.size()));
  c.optimizer_steps = optimizer_->steps();
  for (const auto& [name, buffer] : optimizer_->state_buffers())
    c.optimizer_state.emplace_back(name, std::vector<float>(buffer.begin(), buffer.end()));
  c.layer_rng = layer_rng_.state();
  c.early_stopping = early_stopping_.state();
  if (probes_) {
    Probes::State state = probes_->state();
    c.probes_last_measured = state.last_measured;
    c.probes_dead_at_start = std::move(state.dead_at_start);
  }
  return c;
}

void Trainer::resume_from(const Checkpoint& c, RunOutput& output) {
  check_checkpoint_config(c, training_fingerprint(config_));
  auto refuse = [&](const std::string& why) {
    throw CheckpointError(c.source.string() + ": " + why + "; refusing to resume");
  };
  const auto params = network_.parameters();
  if (c.parameters.size() != params.size())
    refuse("it holds " + std::to_string(c.parameters.size()) + " parameters, the network has " +
           std::to_string(params.size()));
  if (c.epoch > config_.train.epochs)
    refuse("it was taken after epoch " + std::to_string(c.epoch) + " of " +
           std::to_string(config_.train.epochs));
  auto buffers = optimizer_->state_buffers();
  if (buffers.size() != c.optimizer_state.size())
    refuse("it holds " + std::to_string(c.optimizer_state.size()) + " optimizer buffers, " +
           std::string(optimizer_->name()) + " has " + std::to_string(buffers.size()));
  for (std::size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].first != c.optimizer_state[i].first ||
        buffers[i].second.size() != c.optimizer_state[i].second.size())
      refuse("optimizer buffer " + c.optimizer_state[i].first + " does not fit " +
             buffers[i].first);
  if (probes_ && c.probes_dead_at_start.size() != probes_->hidden_layers())
    refuse("its probe state does not fit this network");
  auto state = network_.state_buffers();
  if (state.size() != c.network_state.size())
    refuse("it holds " + std::to_string(c.network_state.size()) + " network state buffers, the " +
           "network has " + std::to_string(state.size()));
  for (std::size_t i = 0; i < state.size(); ++i)
    if (state[i].first != c.network_state[i].first ||
        state[i].second.size() != c.network_state[i].second.size())
      refuse("network state " + c.network_state[i].first + " does not fit " + state[i].first);

  const RunOutput::Resumed files = output.resume(c);  // checks the files before changing anything
  std::copy(c.parameters.begin(), c.parameters.end(), params.begin());
  for (std::size_t i = 0; i < state.size(); ++i)
    std::copy(c.network_state[i].second.begin(), c.network_state[i].second.end(),
              state[i].second.begin());
  for (std::size_t i = 0; i < buffers.size(); ++i)
    std::copy(c.optimizer_state[i].second.begin(), c.optimizer_state[i].second.end(),
              buffers[i].second.begin());
  optimizer_->set_steps(c.optimizer_steps);
  layer_rng_.set_state(c.layer_rng);
  early_stopping_.set_state(c.early_stopping);
  if (probes_) probes_->restore({c.probes_last_measured, c.probes_dead_at_start}, files.probes_csv);
  history_.clear();
  for (const auto& line : files.metrics)
    history_.push_back(EpochMetrics::from_json(line));
  steps_done_ = c.step;
  seconds_done_ = c.elapsed_seconds;
}

}  // namespace actlab
