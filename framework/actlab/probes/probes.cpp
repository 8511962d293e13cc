#include "actlab/probes/probes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/rng.hpp"
#include "actlab/data/batch.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/residual_block.hpp"
#include "actlab/probes/layer_statistics.hpp"

namespace actlab {
namespace {

constexpr std::uint64_t kProbeSetStream = 3;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string short_number(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1e", v);
  return text;
}

// RFC 4180: a field holding a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string percent(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f%%", 100 * v);
  return text;
}

// The probe set: a fixed random subset of `size` training examples (all of them if fewer), drawn
// from its own stream, in the training set's order.
Matrix<float> probe_set(const Dataset& train, const Normalizer& normalizer, std::uint64_t seed,
                        std::size_t size) {
  const std::size_t n = std::min(size, train.size());
  std::vector<std::uint32_t> all(train.size());
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<std::uint32_t>(i);
  Rng rng = Rng::stream(seed, kProbeSetStream);
  for (std::size_t i = 0; i < n; ++i)
    std::swap(all[i], all[i + rng.below(all.size() - i)]);
  std::sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  Matrix<float> x(n, train.features);
  std::vector<std::int32_t> labels(n);
  gather_batch(train, {all.data(), n}, normalizer, x.view(), labels);
  return x;
}

}  // namespace

Probes::Probes(const ProbeConfig& config, Sequential<float>& network, const Dataset& train,
               const Normalizer& normalizer, std::uint64_t seed, std::string run_name,
               ComputeTeam* team)
    : config_(config), network_(network), team_(team), run_name_(csv_field(run_name)) {
  probe_x_ = probe_set(train, normalizer, seed, config.probe_set_size);
  const std::size_t n = probe_x_.rows();

  // A Linear (or a residual block's Linear) gets weight and gradient rows; an activation layer
  // (or a residual block's activation) gets activation rows. Depths come from the network; an
  // untagged network numbers its Linear layers 1..L, each activation sharing the number of the
  // Linear before it.
  const auto& params = network.named_parameters();
  auto add_linear = [&](std::size_t i, std::size_t depth, const std::string& prefix) {
    LinearTap tap{i, depth};
    for (std::size_t p = 0; p < params.size(); ++p) {
      if (params[p].layer_index != i) continue;
      if (params[p].tensor == prefix + "weight") tap.weight_param = p;
      if (params[p].tensor == prefix + "bias") tap.bias_param = p;
    }
    linear_.push_back(tap);
  };
  auto add_hidden = [&](std::size_t i, std::size_t depth, bool inside_block) {
    HiddenTap tap;
    tap.depth = depth;
    tap.layer_index = i;
    tap.inside_block = inside_block;
    hidden_.push_back(tap);
    HiddenTap& added = hidden_.back();
    const Layer<float>& activation = observed_layer(added);
    added.parameter_free = activation.parameter_shapes().empty();
    if (const ActivationInfo* info = layer_activation_info(activation)) {
      added.has_dead_zone = !info->properties.dead_zone.empty();
      added.elementwise = info->elementwise;
    }
  };
  std::size_t linear_count = 0;
  for (std::size_t i = 0; i < network.layer_count(); ++i) {
    const Layer<float>& layer = network.layer(i);
    const std::size_t tagged = network.layer_depth(i);
    const std::string kind = layer.kind();
    if (kind == "linear") {
      ++linear_count;
      add_linear(i, tagged ? tagged : linear_count, "");
    } else if (kind == "residual") {
      ++linear_count;
      add_linear(i, tagged ? tagged : linear_count, "linear.");
      add_hidden(i, tagged ? tagged : linear_count, true);
    } else if (layer_activation_info(layer) != nullptr && (tagged != 0 || linear_count > 0)) {
      add_hidden(i, tagged ? tagged : linear_count, false);
    }
  }
  epoch_weight_norm_sum_.assign(linear_.size(), 0);
  epoch_weight_norm_max_.assign(linear_.size(), 0);
  last_dead_.assign(hidden_.size(), 0);
  last_saturated_.assign(hidden_.size(), 0);
  weights_before_.resize(1, network.parameters().size());
  csv_ = "run,step,epoch,layer,metric,value\n";

  // The measurements' buffers, each member's sized for the widest layer it may be given (resize
  // fills them, so their pages are in memory before the first measurement).
  std::size_t widest = 0, widest_elementwise = 0;
  for (HiddenTap& tap : hidden_) {
    const Layer<float>& layer = observed_layer(tap);
    const std::size_t width = std::max(layer.input_size(), layer.output_size());
    widest = std::max(widest, width);
    if (!tap.elementwise) continue;
    widest_elementwise = std::max(widest_elementwise, width);
    if (tap.parameter_free) tap.max_abs_derivative = max_abs_derivative(layer);
  }
  scratch_.resize(team_size(team));
  for (Scratch& scratch : scratch_) {
    scratch.derivative.resize(n, widest_elementwise);
    scratch.values.resize(n, widest_elementwise);
    scratch.percentiles.assign(n * widest, 0.0f);
  }
}

bool Probes::due(std::size_t step) const {
  if (!config_.enabled) return false;
  return step == 0 || (config_.every_steps > 0 && step % config_.every_steps == 0);
}

void Probes::row(std::size_t step, std::size_t epoch, std::size_t depth, const char* metric,
                 double value) {
  char line[128];  // the run name goes in separately: a study's run id can be long
  if (depth == 0)
    std::snprintf(line, sizeof(line), ",%zu,%zu,,%s,%.9g\n", step, epoch, metric, value);
  else
    std::snprintf(line, sizeof(line), ",%zu,%zu,%zu,%s,%.9g\n", step, epoch, depth, metric, value);
  csv_ += run_name_;
  csv_ += line;
}

// max_x |f'(x)| for the layer's activation (with its current parameters), on a fine grid: the
// saturation threshold is relative to it. Every unit sees the whole grid (a unit's own parameter,
// per-unit PReLU's slope, say, changes its f'), in chunks of rows of the layer's width; the
// maximum is over units too.
double Probes::max_abs_derivative(const Layer<float>& layer) const {
  constexpr std::size_t kPoints = 8001, kChunkElements = 1 << 16;
  const std::size_t width = std::max<std::size_t>(layer.input_size(), 1);
  const std::size_t chunk_rows = std::max<std::size_t>(kChunkElements / width, 1);
  Matrix<float> x(std::min(chunk_rows, kPoints), width), y(x.rows(), width), d(x.rows(), width);
  double max = 0;
  for (std::size_t first = 0; first < kPoints; first += chunk_rows) {
    const std::size_t rows = std::min(chunk_rows, kPoints - first);
    for (std::size_t r = 0; r < rows; ++r) {
      const float point =
          -20.0f + 40.0f * static_cast<float>(first + r) / static_cast<float>(kPoints - 1);
      std::fill(x.view().row(r), x.view().row(r) + width, point);
    }
    if (!layer.elementwise_derivative(x.view().row_range(0, rows), y.view().row_range(0, rows),
                                      d.view().row_range(0, rows)))
      return 1.0;
    for (std::size_t i = 0; i < rows * width; ++i)
      max = std::max(max, std::abs(static_cast<double>(d.data()[i])));
  }
  return max > 0 ? max : 1.0;
}

const Layer<float>& Probes::observed_layer(const HiddenTap& tap) const {
  if (tap.inside_block)
    return dynamic_cast<const ResidualBlock<float>&>(network_.layer(tap.layer_index)).activation();
  return network_.layer(tap.layer_index);
}

Probes::Observed Probes::observe(const HiddenTap& tap) const {
  if (tap.inside_block) {
    const auto& block = dynamic_cast<const ResidualBlock<float>&>(network_.layer(tap.layer_index));
    return {block.activation(), block.activation_input(), block.activation_output()};
  }
  return {network_.layer(tap.layer_index), network_.layer_input(tap.layer_index),
          network_.layer_output(tap.layer_index)};
}

void Probes::measure(std::size_t step, std::size_t epoch) {
  if (!config_.enabled || step == last_measured_ || probe_x_.rows() == 0) return;
  last_measured_ = step;
  network_.forward(probe_x_.view(), {.training = false, .rng = nullptr, .team = team_});

  for (std::size_t l = 0; l < linear_.size(); ++l) {
    const auto& w = network_.named_parameters()[linear_[l].weight_param];
    row(step, epoch, linear_[l].depth, "weight_norm", frobenius_norm(w.value));
  }
  // The hidden layers' statistics side by side on the team's members (a layer to a member, in
  // turns; each member with its own scratch), then the rows in layer order.
  const std::size_t members = team_size(team_);
  auto measure_layers = [&](int member) {
    for (auto h = static_cast<std::size_t>(member); h < hidden_.size(); h += members)
      measure_hidden(h, scratch_[static_cast<std::size_t>(member)]);
  };
  if (members == 1 || hidden_.size() == 1)
    measure_layers(0);
  else
    team_->run(measure_layers);

  for (std::size_t h = 0; h < hidden_.size(); ++h) {
    const HiddenMeasurement& m = hidden_[h].measured;
    const std::size_t depth = hidden_[h].depth;
    row(step, epoch, depth, "activation_mean", m.stats.mean);
    row(step, epoch, depth, "activation_std", m.stats.std);
    row(step, epoch, depth, "activation_zero_fraction", m.stats.zero_fraction);
    row(step, epoch, depth, "activation_p2", m.stats.p2);
    row(step, epoch, depth, "activation_median", m.stats.median);
    row(step, epoch, depth, "activation_p98", m.stats.p98);
    row(step, epoch, depth, "activation_unit_mean_median", m.stats.unit_mean_median);
    row(step, epoch, depth, "dormant_fraction", m.dormant_fraction);
    if (!hidden_[h].elementwise) continue;  // gated / sampled layers: no per-unit derivative
    row(step, epoch, depth, "saturated_fraction", m.saturation.saturated_fraction);
    row(step, epoch, depth, "units_saturated_99", m.saturation.units_mostly_saturated);
    last_saturated_[h] = m.saturation.saturated_fraction;
    last_dead_[h] = m.dead_fraction;
    row(step, epoch, depth, "dead_fraction", m.dead_fraction);
    row(step, epoch, depth, "revived_fraction", m.revived_fraction);
    row(step, epoch, depth, "died_fraction", m.died_fraction);
  }
}

void Probes::measure_hidden(std::size_t h, Scratch& scratch) {
  HiddenTap& tap = hidden_[h];
  HiddenMeasurement& m = tap.measured;
  const Observed observed = observe(tap);
  const MatrixView<const float> z = observed.z;
  const MatrixView<const float> a = observed.a;
  m.stats = activation_statistics(a, scratch.percentiles);
  m.dormant_fraction = dormant_fraction(a, config_.dormant_tau);
  if (!tap.elementwise) return;

  scratch.derivative.resize(z.rows, z.cols);
  scratch.values.resize(z.rows, z.cols);
  observed.layer.elementwise_derivative(z, scratch.values.view(), scratch.derivative.view());
  // A learnable slope or beta changes f', so its reference maximum is taken afresh each time;
  // that of an activation without parameters is fixed.
  if (tap.max_abs_derivative == 0 || !tap.parameter_free)
    tap.max_abs_derivative = max_abs_derivative(observed.layer);
  m.saturation =
      saturation(scratch.derivative.view(), config_.saturation_epsilon, tap.max_abs_derivative);

  // Activations without a dead zone have no dead units by construction (f' may underflow to 0
  // in extreme saturation, which is saturation, not death).
  std::vector<bool> dead =
      tap.has_dead_zone ? dead_units(scratch.derivative.view()) : std::vector<bool>(z.cols, false);
  if (tap.dead_at_start.empty()) tap.dead_at_start = dead;
  std::size_t revived = 0, died = 0;
  for (std::size_t j = 0; j < dead.size(); ++j) {
    revived += tap.dead_at_start[j] && !dead[j];
    died += !tap.dead_at_start[j] && dead[j];
  }
  const double units = static_cast<double>(dead.size());
  m.dead_fraction = fraction_true(dead);
  m.revived_fraction = static_cast<double>(revived) / units;
  m.died_fraction = static_cast<double>(died) / units;
}

void Probes::observe_gradients(std::size_t step, std::size_t epoch,
                               std::span<const double> tensor_norms, double global_norm,
                               bool clipped, std::size_t batch) {
  if (!config_.enabled) return;
  if (epoch_steps_ == 0) epoch_global_first_ = global_norm;
  ++epoch_steps_;
  epoch_clipped_ += clipped;
  epoch_global_sum_ += global_norm;
  epoch_global_max_ = std::max(epoch_global_max_, global_norm);
  for (std::size_t l = 0; l < linear_.size(); ++l) {
    const double w = tensor_norms[linear_[l].weight_param];
    epoch_weight_norm_sum_[l] += w;
    epoch_weight_norm_max_[l] = std::max(epoch_weight_norm_max_[l], w);
  }
  if (!due(step)) return;
  std::vector<double> x, y;
  for (std::size_t l = 0; l < linear_.size(); ++l) {
    const double w = tensor_norms[linear_[l].weight_param];
    const std::size_t depth = linear_[l].depth;
    row(step, epoch, depth, "grad_norm_weight", w);
    row(step, epoch, depth, "grad_norm_bias", tensor_norms[linear_[l].bias_param]);
    // ∂L/∂z_l is the gradient arriving at Linear l's output, Frobenius over the batch / √batch
    // (in a residual block y = x + z, so it is the gradient arriving at the block's output).
    const double dz = frobenius_norm(network_.layer_output_grad(linear_[l].layer_index));
    row(step, epoch, depth, "grad_norm_preactivation", dz / std::sqrt(static_cast<double>(batch)));
    if (w > 0) {
      x.push_back(static_cast<double>(depth));
      y.push_back(std::log10(w));
    }
  }
  row(step, epoch, 0, "grad_norm_global", global_norm);
  row(step, epoch, 0, "clip_fired", clipped ? 1.0 : 0.0);
  if (linear_.size() >= 2) {
    const double first = tensor_norms[linear_.front().weight_param];
    const double last = tensor_norms[linear_.back().weight_param];
    row(step, epoch, 0, "vanishing_ratio", last > 0 ? first / last : kNaN);
    row(step, epoch, 0, "grad_norm_slope", least_squares_slope(x, y));
  }
}

void Probes::before_update(std::size_t step) {
  if (!due(step)) return;
  const auto params = network_.parameters();
  std::copy(params.begin(), params.end(), weights_before_.data());
}

void Probes::after_update(std::size_t step, std::size_t epoch) {
  if (!due(step)) return;
  const auto& named = network_.named_parameters();
  const float* base = network_.parameters().data();
  for (std::size_t l = 0; l < linear_.size(); ++l) {
    const auto& w = named[linear_[l].weight_param];
    const float* before = weights_before_.data() + (w.value.data - base);
    double delta = 0, norm = 0;
    // Vectorised: as a scalar loop (a chain of dependent additions) this took most of the time a
    // probe step spends after its update.
#pragma omp simd reduction(+ : delta, norm)
    for (std::size_t i = 0; i < w.value.size(); ++i) {
      const double d = static_cast<double>(w.value.data[i]) - before[i];
      delta += d * d;
      norm += static_cast<double>(before[i]) * before[i];
    }
    row(step, epoch, linear_[l].depth, "update_ratio", norm > 0 ? std::sqrt(delta / norm) : kNaN);
  }
}

ProbeEpochSummary Probes::end_epoch(std::size_t step, std::size_t epoch) {
  ProbeEpochSummary summary;
  if (!config_.enabled) return summary;
  measure(step, epoch);
  const double steps = static_cast<double>(std::max<std::size_t>(epoch_steps_, 1));
  std::vector<double> x, y;
  for (std::size_t l = 0; l < linear_.size(); ++l) {
    const double mean = epoch_weight_norm_sum_[l] / steps;
    const std::size_t depth = linear_[l].depth;
    row(step, epoch, depth, "grad_norm_weight_epoch_mean", mean);
    row(step, epoch, depth, "grad_norm_weight_epoch_max", epoch_weight_norm_max_[l]);
    summary.grad_norm_by_layer.push_back(mean);
    if (mean > 0) {
      x.push_back(static_cast<double>(depth));
      y.push_back(std::log10(mean));
    }
  }
  row(step, epoch, 0, "grad_norm_global_epoch_mean", epoch_global_sum_ / steps);
  row(step, epoch, 0, "grad_norm_global_epoch_max", epoch_global_max_);
  row(step, epoch, 0, "clip_count", static_cast<double>(epoch_clipped_));
  summary.vanishing_ratio =
      summary.grad_norm_by_layer.size() >= 2 && summary.grad_norm_by_layer.back() > 0
          ? summary.grad_norm_by_layer.front() / summary.grad_norm_by_layer.back()
          : kNaN;
  summary.grad_norm_slope = least_squares_slope(x, y);
  summary.dead_fraction_by_layer = last_dead_;
  for (double d : last_dead_)
    summary.max_dead_fraction = std::max(summary.max_dead_fraction, d);
  double saturated = 0;
  for (double s : last_saturated_)
    saturated += s;
  summary.mean_saturated_fraction =
      last_saturated_.empty() ? 0.0 : saturated / static_cast<double>(last_saturated_.size());

  // One compact line, then the warnings a user would want.
  // "L1..L3" when the Linear layers are at depths 1, 2, 3; else their depths, "L1,L4,L7".
  bool consecutive = true;
  std::string depths;
  for (std::size_t l = 0; l < linear_.size(); ++l) {
    consecutive = consecutive && linear_[l].depth == l + 1;
    depths += (l ? ",L" : "L") + std::to_string(linear_[l].depth);
  }
  std::string line = "probes: grad-norm " +
                     (consecutive ? "L1..L" + std::to_string(linear_.size()) : depths) + ":";
  for (double g : summary.grad_norm_by_layer)
    line += " " + short_number(g);
  line += " | dead:";
  for (std::size_t h = 0; h < hidden_.size(); ++h)
    line += " " + percent(last_dead_[h]);  // 0 by construction without a dead zone
  line += " | saturated:";
  for (double s : last_saturated_)
    line += " " + percent(s);
  spdlog::info("{}", line);
  if (config_.warnings) {
    for (std::size_t h = 0; h < hidden_.size(); ++h)
      if (last_dead_[h] >= 0.10)
        spdlog::warn("epoch {}: layer {} has {} dead units (f'(z) = 0 on every probe sample)",
                     epoch, hidden_[h].depth, percent(last_dead_[h]));
    if (summary.vanishing_ratio < 1e-4)
      spdlog::warn("epoch {}: vanishing gradients: ‖∂L/∂W_{}‖ / ‖∂L/∂W_{}‖ = {:.2e}", epoch,
                   linear_.front().depth, linear_.back().depth, summary.vanishing_ratio);
    if (epoch_global_first_ > 0 && epoch_global_max_ >= 100 * epoch_global_first_)
      spdlog::warn("epoch {}: exploding gradients: the global norm grew from {:.3g} to {:.3g}",
                   epoch, epoch_global_first_, epoch_global_max_);
  }

  std::fill(epoch_weight_norm_sum_.begin(), epoch_weight_norm_sum_.end(), 0.0);
  std::fill(epoch_weight_norm_max_.begin(), epoch_weight_norm_max_.end(), 0.0);
  epoch_global_sum_ = epoch_global_max_ = epoch_global_first_ = 0;
  epoch_steps_ = epoch_clipped_ = 0;
  return summary;
}

Probes::State Probes::state() const {
  State state;
  state.last_measured = last_measured_;
  for (const HiddenTap& tap : hidden_)
    state.dead_at_start.emplace_back(tap.dead_at_start.begin(), tap.dead_at_start.end());
  return state;
}

void Probes::restore(const State& state, std::string csv) {
  if (state.dead_at_start.size() != hidden_.size())
    throw std::invalid_argument("probe state for " + std::to_string(state.dead_at_start.size()) +
                                " hidden layers, the network has " +
                                std::to_string(hidden_.size()));
  last_measured_ = state.last_measured;
  for (std::size_t h = 0; h < hidden_.size(); ++h)
    hidden_[h].dead_at_start.assign(state.dead_at_start[h].begin(), state.dead_at_start[h].end());
  csv_ = std::move(csv);
}

}  // namespace actlab
