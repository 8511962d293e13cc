#include "actlab/train/memory_estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "actlab/nn/mlp.hpp"

namespace actlab {
namespace {

constexpr std::size_t kFloat = sizeof(float);
// The engine splits a step by rows (row_parallel_pass.hpp) only for networks this narrow; each
// extra thread then holds a whole gradient of its own (step_engine.cpp's kWidestByRows).
constexpr std::size_t kWidestByRows = 128;
constexpr std::size_t kStagedBatches = 2;  // staged_batches.hpp: one trained, one gathered ahead

// The network's sizes, walked from the configuration as build_mlp builds it, without allocating.
struct NetworkShape {
  std::size_t parameters = 0;
  std::size_t state = 0;          // batchnorm's running statistics, saved with the weights
  std::size_t output_widths = 0;  // Σ over layers of the output width
  // Σ of the widths of the buffers layers keep for backward (f'(x), dropout's mask, x̂, ...): sized
  // by the training batch, and by the evaluation batch for a residual block's forward buffers.
  std::size_t training_widths = 0;
  std::size_t evaluation_widths = 0;
  std::size_t widest = 0;              // of any layer's input and output
  std::size_t widest_elementwise = 0;  // of an elementwise activation's, for the probes' scratch

  void add_output(std::size_t in, std::size_t out) {
    output_widths += out;
    widest = std::max({widest, in, out});
  }
  void add_linear(std::size_t in, std::size_t out) {
    parameters += in * out + out;
    add_output(in, out);
  }
  // Returns the activation's output width.
  std::size_t add_activation(const ActivationConfig& activation, std::size_t in) {
    const ActivationInfo& info = activation_entry(activation);
    const std::size_t out = in / info.width_multiplier;
    if (info.learnable.param >= 0) parameters += 1;
    training_widths += info.elementwise ? in : out;  // f'(x), or a gated layer's gate values
    if (info.elementwise) widest_elementwise = std::max(widest_elementwise, in);
    add_output(in, out);
    return out;
  }
  void add_norm(const NormSpec& norm, std::size_t width) {
    if (norm.kind == NormKind::kNone) return;
    if (norm.affine) parameters += 2 * width;
    if (norm.kind == NormKind::kBatchNorm) state += 2 * width;
    training_widths += width;  // x̂
  }
};

NetworkShape network_shape(const ModelConfig& model, std::size_t inputs, std::size_t outputs) {
  NetworkShape shape;
  std::size_t width = inputs;
  if (!model.layers) {
    const std::size_t multiplier = activation_entry(model.activation).width_multiplier;
    for (std::size_t hidden : model.hidden) {
      shape.add_linear(width, hidden * multiplier);
      width = shape.add_activation(model.activation, hidden * multiplier);
    }
  } else {
    for (const LayerSpec& entry : *model.layers) {
      switch (entry.kind) {
        case LayerSpec::Kind::kLinear:
          shape.add_linear(width, entry.width);
          width = entry.width;
          break;
        case LayerSpec::Kind::kActivation:
          width = shape.add_activation(entry.activation, width);
          break;
        case LayerSpec::Kind::kDropout:
          shape.training_widths += width;  // the mask
          shape.add_output(width, width);
          break;
        case LayerSpec::Kind::kNorm:
          shape.add_norm(entry.norm, width);
          shape.add_output(width, width);
          break;
        case LayerSpec::Kind::kResidual: {
          // x + Linear(f(Norm(x))): its own buffers for Norm(x) and f(...) in every forward, and
          // for the three gradients inside it in training.
          NetworkShape inner;
          inner.add_norm(entry.norm, width);
          const std::size_t activated = inner.add_activation(entry.activation, width);
          inner.add_linear(activated, width);
          shape.parameters += inner.parameters;
          shape.state += inner.state;
          shape.training_widths += inner.training_widths + 3 * width;
          shape.evaluation_widths += 2 * width;
          shape.widest_elementwise = std::max(shape.widest_elementwise, inner.widest_elementwise);
          shape.add_output(width, width);
          break;
        }
      }
    }
  }
  shape.add_linear(width, outputs);
  return shape;
}

std::size_t optimizer_state(const OptimizerConfig& optimizer, std::size_t parameters) {
  if (optimizer.name == "sgd") return optimizer.momentum != 0 ? parameters : 0;
  return 2 * parameters;  // adam, adamw, adabelief: two moments per parameter
}

}  // namespace

DataShape data_shape(const DataSplits& data) {
  return {.train_examples = data.train.size(),
          .held_examples = data.train.size() + data.validation.size() + data.test.size(),
          .features = data.train.features,
          .classes = data.train.classes};
}

std::size_t MemoryEstimate::total() const {
  std::size_t sum = 0;
  for (const MemoryPart& part : parts)
    sum += part.bytes;
  return sum;
}

std::string MemoryEstimate::breakdown() const {
  std::string text;
  for (const MemoryPart& part : parts)
    text += fmt::format("  {}: {}\n", part.what, format_bytes(static_cast<double>(part.bytes)));
  text += fmt::format("  total: {}\n", format_bytes(static_cast<double>(total())));
  return text;
}

MemoryEstimate estimate_run_memory(const ExperimentConfig& config, const DataShape& data,
                                   int threads) {
  // Two classes train one logit (trainer.cpp's mlp_spec).
  const std::size_t outputs = data.classes == 2 ? 1 : data.classes;
  const NetworkShape net = network_shape(config.model, data.features, outputs);
  const std::size_t p = net.parameters;
  const std::size_t team = static_cast<std::size_t>(std::max(threads, 1));
  const std::size_t batch =
      std::min(config.train.batch_size, std::max<std::size_t>(data.train_examples, 1));
  const std::size_t eval = config.train.eval_batch_size;
  const std::size_t probe_rows =
      config.probes.enabled ? std::min(config.probes.probe_set_size, data.train_examples) : 0;
  // The network's buffers are planned for the largest batch it sees (trainer.cpp).
  const std::size_t planned =
      std::max({batch, eval, config.probes.enabled ? config.probes.probe_set_size : 0});
  const std::size_t optimizer = optimizer_state(config.optimizer, p);

  MemoryEstimate e;
  e.parameters = p;
  e.parts.push_back({"parameters", (p + net.state) * kFloat});
  e.parts.push_back({"gradients", p * kFloat});
  e.parts.push_back({"optimizer state (" + config.optimizer.name + ")", optimizer * kFloat});
  e.parts.push_back({fmt::format("layer outputs and their gradients ({} rows)", planned),
                     (2 * planned * net.output_widths + planned * net.evaluation_widths) * kFloat});
  e.parts.push_back({fmt::format("layers' buffers for backward ({} rows)", batch),
                     batch * net.training_widths * kFloat});
  const std::size_t batch_rows = std::max(batch, eval) + (kStagedBatches + 1) * batch;
  e.parts.push_back({"batches", batch_rows * (data.features + 1) * kFloat +
                                    batch * outputs * kFloat + eval * sizeof(std::uint32_t) +
                                    data.train_examples * sizeof(std::uint32_t)});
  if (team > 1 && net.widest <= kWidestByRows)
    e.parts.push_back(
        {fmt::format("gradients of the {} other threads", team - 1), (team - 1) * p * kFloat});
  e.parts.push_back(
      {"data set", data.held_examples * (data.features * sizeof(std::uint8_t) + sizeof(int))});
  if (config.probes.enabled)
    e.parts.push_back({"probes (probe set, weights before an update, scratch)",
                       (probe_rows * data.features + p +
                        team * probe_rows * (2 * net.widest_elementwise + net.widest)) *
                           kFloat});
  // A checkpoint copies the state, serializes the copy into a payload, and puts the payload after a
  // header in the file's bytes (checkpoint.cpp): three copies at once.
  e.parts.push_back({"checkpoint", 3 * (p + net.state + optimizer) * kFloat});
  return e;
}

std::string memory_keys(const ExperimentConfig& config) {
  std::string widths;
  if (config.model.layers) {
    for (const LayerSpec& entry : *config.model.layers)
      if (entry.kind == LayerSpec::Kind::kLinear)
        widths += (widths.empty() ? "" : ", ") + std::to_string(entry.width);
    widths = "model.layers' linear widths [" + widths + "]";
  } else {
    for (std::size_t hidden : config.model.hidden)
      widths += (widths.empty() ? "" : ", ") + std::to_string(hidden);
    widths = "model.hidden [" + widths + "]";
  }
  std::string keys = widths + ", train.batch_size " + std::to_string(config.train.batch_size) +
                     ", train.eval_batch_size " + std::to_string(config.train.eval_batch_size);
  if (config.probes.enabled)
    keys += ", probes.probe_set_size " + std::to_string(config.probes.probe_set_size);
  return keys;
}

std::string format_bytes(double bytes) {
  constexpr std::array kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

}  // namespace actlab
