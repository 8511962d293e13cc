#pragma once
// Probes observe training, layer by layer: gradient norms, dead units, saturation, dormant units,
// activation statistics, weight norms and update ratios (definitions in layer_statistics.hpp and
// the README). They read the network through its buffers and never change the model, the random
// streams or the training results: a probe forward pass runs in evaluation mode between training
// steps, when every buffer it overwrites is about to be rewritten anyway.
//
// Output is a tidy table, one measurement per row: run,step,epoch,layer,metric,value. `layer` is
// the layer's depth (Sequential::layer_depth, set by build_mlp): in a `hidden:` network the
// number of the hidden layer (its Linear and activation share it; the output Linear is the last),
// in a `layers:` network the 1-based position in the list (the output Linear is one more). A
// network built without depths numbers its Linear layers 1..L and gives each activation the
// number of the Linear before it. `layer` is empty for network-wide metrics. "step" counts the
// optimizer updates made before the measurement: step 0 is the initial network.
//
// Which layers are measured: every Linear (weights and gradients), including the one inside a
// residual block; every activation layer (activations, dead units, saturation), including the
// one inside a residual block (measured on Norm(x), the input it sees). Dropout and
// normalisation layers get no rows of their own.
#include <cstdint>
#include <string>
#include <vector>

#include "actlab/data/dataset.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/probes/layer_statistics.hpp"

namespace actlab {

struct ProbeConfig {
  bool enabled = true;
  std::size_t probe_set_size = 1024;  // fixed training samples, drawn once from the seed
  std::size_t every_steps = 200;      // also at step 0 and at each epoch end; 0 = only those
  double saturation_epsilon = 0.01;
  double dormant_tau = 0.025;
  bool warnings = true;

  bool operator==(const ProbeConfig&) const = default;
};

// What an epoch's probes say, for metrics.jsonl, summary.json and the study tables.
struct ProbeEpochSummary {
  double vanishing_ratio = 0;  // epoch-mean ‖∂L/∂W_1‖ / epoch-mean ‖∂L/∂W_L‖
  double grad_norm_slope = 0;  // least-squares slope of log10 epoch-mean ‖∂L/∂W_l‖ against l
  double max_dead_fraction = 0;  // over hidden layers, at the epoch's end
  double mean_saturated_fraction = 0;
  std::vector<double> dead_fraction_by_layer;
  std::vector<double> grad_norm_by_layer;  // epoch mean of ‖∂L/∂W_l‖
};

class Probes {
 public:
  // measure() splits its layers between `team`'s members (none: the calling thread). The buffers a
  // measurement needs are made here, one set per member, so that the first measurement is not
  // slowed by faulting their pages in.
  Probes(const ProbeConfig& config, Sequential<float>& network, const Dataset& train,
         const Normalizer& normalizer, std::uint64_t seed, std::string run_name,
         ComputeTeam* team = nullptr);

  bool due(std::size_t step) const;

  // Evaluates the probe set with the current weights and records the activation-side metrics and
  // weight norms at `step`. Skips if `step` was already measured.
  void measure(std::size_t step, std::size_t epoch);
  // After backward of the training step that starts at `step`: per-layer gradient norms.
  // `tensor_norms` are the L2 norms of the named parameters' gradients, in order, as backward left
  // them (before any clipping); `batch` the rows of the batch. The layers' output gradients must
  // still be those of this step.
  void observe_gradients(std::size_t step, std::size_t epoch, std::span<const double> tensor_norms,
                         double global_norm, bool clipped, std::size_t batch);
  // Around the optimizer update of a due step: records ‖ΔW_l‖ / ‖W_l‖.
  void before_update(std::size_t step);
  void after_update(std::size_t step, std::size_t epoch);

  // Epoch-level rows, warnings and the one-line summary; call after the epoch's last step.
  ProbeEpochSummary end_epoch(std::size_t step, std::size_t epoch);

  // The table so far, with its header line.
  const std::string& csv() const { return csv_; }

  // What a checkpoint holds so that a resumed run continues the table identically: the last step
  // measured and, per hidden layer, the units dead at the first measurement (revived/died fractions
  // are relative to them). The epoch accumulators are empty at an epoch end, where checkpoints are
  // taken.
  struct State {
    std::uint64_t last_measured = UINT64_MAX;
    std::vector<std::vector<std::uint8_t>> dead_at_start;
  };
  State state() const;
  // Restores `state` and the table so far; std::invalid_argument if the layer counts differ.
  void restore(const State& state, std::string csv);
  std::size_t hidden_layers() const { return hidden_.size(); }

 private:
  struct LinearTap {
    std::size_t layer_index;  // in the network (a linear layer, or a residual block)
    std::size_t depth;        // the `layer` column
    std::size_t weight_param = 0, bias_param = 0;  // indices into named_parameters()
  };
  // What measure() finds in one hidden layer (saturation and dead units only for an elementwise
  // activation).
  struct HiddenMeasurement {
    ActivationStatistics stats;
    double dormant_fraction = 0;
    SaturationStatistics saturation;
    double dead_fraction = 0, revived_fraction = 0, died_fraction = 0;
  };
  struct HiddenTap {
    std::size_t depth;          // the `layer` column
    std::size_t layer_index;    // the activation layer in the network, or the residual block
    bool inside_block = false;  // the activation inside the residual block at layer_index
    bool has_dead_zone = false;
    bool elementwise = false;
    bool parameter_free = false;    // f' never changes: its maximum is computed once
    double max_abs_derivative = 0;  // max_x |f'(x)|; 0 until first computed
    std::vector<bool> dead_at_start;
    HiddenMeasurement measured;  // the last measurement
  };
  // One team member's buffers for measure_hidden.
  struct Scratch {
    Matrix<float> derivative;  // f'(z) of one layer on the probe set
    Matrix<float> values;      // f(z), recomputed by elementwise_derivative
    std::vector<float> percentiles;
  };
  // Measures hidden layer h into hidden_[h].measured; layers may be measured side by side.
  void measure_hidden(std::size_t h, Scratch& scratch);

  void row(std::size_t step, std::size_t epoch, std::size_t depth, const char* metric,
           double value);
  double max_abs_derivative(const Layer<float>& layer) const;
  // The activation layer a tap observes, with what it saw (z) and gave (a) in the last forward.
  struct Observed {
    const Layer<float>& layer;
    MatrixView<const float> z, a;
  };
  Observed observe(const HiddenTap& tap) const;  // after a forward only
  const Layer<float>& observed_layer(const HiddenTap& tap) const;

  ProbeConfig config_;
  Sequential<float>& network_;
  ComputeTeam* team_;      // splits measure() between its members; null: the calling thread
  std::string run_name_;   // as a CSV field: quoted if it holds a comma (study run ids do)
  Matrix<float> probe_x_;  // (probe samples, features), converted once
  std::vector<LinearTap> linear_;
  std::vector<HiddenTap> hidden_;
  std::vector<Scratch> scratch_;  // one per team member
  Matrix<float> weights_before_;  // snapshot for update ratios
  std::string csv_;
  std::size_t last_measured_ = SIZE_MAX;

  // Epoch accumulators.
  std::vector<double> epoch_weight_norm_sum_, epoch_weight_norm_max_;
  double epoch_global_sum_ = 0, epoch_global_max_ = 0, epoch_global_first_ = 0;
  std::size_t epoch_steps_ = 0, epoch_clipped_ = 0;
  std::vector<double> last_dead_, last_saturated_;
};

}  // namespace actlab
