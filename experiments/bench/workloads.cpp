#include "workloads.hpp"

#include "actlab/core/compute_team.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/core/rng.hpp"
#include "actlab/nn/formula/formula_activation.hpp"

namespace actlab::bench {

const std::vector<Workload>& reference_workloads() {
  static const std::vector<Workload> workloads = {
      {"W1", "784-256-256-10 relu", {256, 256}, "relu", ""},
      {"W2", "784-512-512-512-10 gelu", {512, 512, 512}, "gelu", ""},
      {"W3", "784-(128x10)-10 tanh", std::vector<std::size_t>(10, 128), "tanh", ""},
  };
  return workloads;
}

const std::vector<Workload>& formula_workloads() {
  static const std::vector<Workload> workloads = {
      {"W1f", "784-256-256-10 relu formula", {256, 256}, "formula_relu", "where(x > 0, x, 0)"},
      {"W1m", "784-256-256-10 mish", {256, 256}, "mish", ""},
      {"W1m-f", "784-256-256-10 mish formula", {256, 256}, "formula_mish", "x * tanh(softplus(x))"},
  };
  return workloads;
}

const Workload& find_workload(const std::string& name) {
  for (const auto* list : {&reference_workloads(), &formula_workloads()})
    for (const Workload& w : *list)
      if (w.name == name) return w;
  throw ConfigError("unknown workload '" + name + "' (W1, W2, W3; W1f, W1m, W1m-f)");
}

ExperimentConfig workload_config(const Workload& workload, int threads) {
  ExperimentConfig config;
  config.name = workload.name;
  config.seed = 1;
  config.threads = threads;
  config.data.dataset = "fashion-mnist";
  config.model.hidden = workload.hidden;
  config.model.activation = {workload.activation, {}, nullptr};
  if (!workload.formula.empty())
    config.model.activation.formula = std::make_shared<FormulaSource>(
        FormulaSource{FormulaDefinition{workload.activation, workload.formula, {}, {}, false}, {}});
  config.model.init = {Initializer::kHeNormal};
  config.optimizer.name = "sgd";
  config.optimizer.learning_rate = 0.05;
  config.optimizer.momentum = 0.9;
  config.train.epochs = 1;
  config.train.batch_size = kBatch;
  return config;
}

std::vector<std::size_t> layer_widths(const Workload& workload) {
  std::vector<std::size_t> widths{kInputs};
  widths.insert(widths.end(), workload.hidden.begin(), workload.hidden.end());
  widths.push_back(kClasses);
  return widths;
}

double training_flops_per_sample(const std::vector<std::size_t>& widths) {
  double flops = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const double weights = static_cast<double>(widths[l] * widths[l + 1]);
    flops += 2 * weights;             // forward
    flops += 2 * weights;             // dW
    if (l > 0) flops += 2 * weights;  // dA
  }
  return flops;
}

GemmOnlyStep::GemmOnlyStep(const std::vector<std::size_t>& widths, std::size_t batch) {
  Rng rng(1);
  auto random = [&](std::size_t rows, std::size_t cols) {
    Matrix<float> m(rows, cols);
    for (std::size_t i = 0; i < m.size(); ++i)
      m.data()[i] = static_cast<float>(rng.uniform(-0.1, 0.1));
    return m;
  };
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    activations_.push_back(random(batch, widths[l]));
    weights_.push_back(random(widths[l + 1], widths[l]));
    weight_grads_.emplace_back(widths[l + 1], widths[l]);
    outputs_.emplace_back(batch, widths[l + 1]);
    output_grads_.push_back(random(batch, widths[l + 1]));
  }
}

void GemmOnlyStep::run(ComputeTeam* team) {
  const std::size_t layers = weights_.size();
  // Forward: Z_l += A_l W_lᵀ, with beta = 1 as Linear calls it (there Z_l holds the broadcast
  // bias); the activation that would make A_{l+1} from Z_l is left out.
  for (std::size_t l = 0; l < layers; ++l)
    gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f, activations_[l].view(), weights_[l].view(),
                1.0f, outputs_[l].view(), team);
  // Backward, last layer first: dW_l = dZ_lᵀ A_l (beta = 0, overwriting, and on a team split by
  // rows, as Linear calls it), and
  // dA_l = dZ_l W_l for every layer but the first (written into dZ_{l-1}, where the activation's
  // derivative would be applied).
  for (std::size_t l = layers; l-- > 0;) {
    gemm<float>(Transpose::kYes, Transpose::kNo, 1.0f, output_grads_[l].view(),
                activations_[l].view(), 0.0f, weight_grads_[l].view(), team,
                {.prepare = {}, .alongside = {}, .split = GemmSplit::kRows});
    if (l > 0)
      gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, output_grads_[l].view(), weights_[l].view(),
                  0.0f, output_grads_[l - 1].view(), team);
  }
}

void GemmOnlyStep::run_by_rows(ComputeTeam* team) {
  const std::size_t layers = weights_.size();
  const std::size_t batch = activations_[0].rows();
  const std::size_t members = team_size(team);
  if (shares_.size() + 1 < members) shares_.resize(members - 1, weight_grads_);
  auto run_rows = [&](int member_id) {
    const auto member = static_cast<std::size_t>(member_id);
    const auto [first, last] = part_range(batch, members, 1, member);
    const std::size_t rows = last - first;
    if (rows == 0) return;
    for (std::size_t l = 0; l < layers; ++l)
      gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f,
                  activations_[l].view().row_range(first, rows), weights_[l].view(), 1.0f,
                  outputs_[l].view().row_range(first, rows));
    for (std::size_t l = layers; l-- > 0;) {
      Matrix<float>& dw = member == 0 ? weight_grads_[l] : shares_[member - 1][l];
      gemm<float>(Transpose::kYes, Transpose::kNo, 1.0f,
                  output_grads_[l].view().row_range(first, rows),
                  activations_[l].view().row_range(first, rows), 0.0f, dw.view());
      if (l > 0)
        gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f,
                    output_grads_[l].view().row_range(first, rows), weights_[l].view(), 0.0f,
                    output_grads_[l - 1].view().row_range(first, rows));
    }
  };
  if (members == 1) {
    run_rows(0);
    return;
  }
  team->run(run_rows);
  // The shares added in one hand-off, each member a part of every weight gradient.
  auto add_shares = [&](int member_id) {
    const auto member = static_cast<std::size_t>(member_id);
    for (std::size_t l = 0; l < layers; ++l) {
      float* dw = weight_grads_[l].data();
      const std::pair<std::size_t, std::size_t> part =
          part_range(weight_grads_[l].size(), members, 16, member);
      const std::size_t begin = part.first, end = part.second;
      for (std::size_t other = 1; other < members; ++other) {
        const float* share = shares_[other - 1][l].data();
#pragma omp simd
        for (std::size_t k = begin; k < end; ++k)
          dw[k] += share[k];
      }
    }
  };
  team->run(add_shares);
}

}  // namespace actlab::bench
