#pragma once
// The reference workloads of BENCHMARKS.md (Fashion-MNIST, float32, batch 128, SGD with momentum
// 0.9) and the yardstick they are measured against, the GEMM-only limit: the same network's
// forward and backward matrix products alone, on the same shapes and threads, with nothing
// around them. A training step cannot be faster than its GEMMs; the ratio of the two says how much
// everything else (bias, activations, loss, norms, optimizer, probes, data) costs.
#include <cstddef>
#include <string>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/matrix.hpp"

namespace actlab {
class ComputeTeam;
}

namespace actlab::bench {

struct Workload {
  std::string name;  // "W1"
  std::string description;
  std::vector<std::size_t> hidden;
  std::string activation;
  std::string
      formula;  // when set, the activation is this formula (nn/formula/), named `activation`
};

inline constexpr std::size_t kInputs = 784, kClasses = 10, kBatch = 128;

// W1: 784-256-256-10 relu; W2: 784-512-512-512-10 gelu; W3: 784-(128×10)-10 tanh.
const std::vector<Workload>& reference_workloads();
// W1 with relu and mish written as formulas (W1f, W1m-f), and with native mish (W1m): a formula
// activation's training speed beside the native one's (`actlab bench --workloads W1 W1f`).
const std::vector<Workload>& formula_workloads();
// Throws ConfigError for an unknown name.
const Workload& find_workload(const std::string& name);

// The run a workload stands for: batch 128, SGD (lr 0.05, momentum 0.9), He-normal init, one
// epoch, probes at their default frequency, `threads` threads.
ExperimentConfig workload_config(const Workload& workload, int threads);

// The layer widths, inputs first: {784, 256, 256, 10} for W1.
std::vector<std::size_t> layer_widths(const Workload& workload);

// Floating-point operations of the GEMMs one training sample needs (2 per multiply-add): forward
// Z = A Wᵀ and dW = dZᵀ A for every Linear, dA = dZ W for every Linear but the first (whose input
// gradient nobody needs). Samples/s × this = training GFLOP/s.
double training_flops_per_sample(const std::vector<std::size_t>& widths);

// The GEMM-only limit of one network: buffers for every layer's A, W, Z, dZ, dW and dA, and one
// step of exactly the GEMMs a training step makes (see training_flops_per_sample), in the same
// order and with the same transposes as Linear, on whatever BLAS threads are set, or split between
// the members of a compute team as a training step splits them.
class GemmOnlyStep {
 public:
  GemmOnlyStep(const std::vector<std::size_t>& widths, std::size_t batch);
  // The GEMMs as a step splits them between `team`'s members (each GEMM cut in blocks).
  void run(ComputeTeam* team);
  // The GEMMs as the engine's row-parallel pass runs them: each member all of them on its own rows
  // of the batch, single-threaded, then the members' shares of every weight gradient added, so
  // that it ends with the same products as run().
  void run_by_rows(ComputeTeam* team);

 private:
  std::vector<Matrix<float>>
      activations_;  // activations_[l]: (batch, widths[l]), the input of Linear l
  std::vector<Matrix<float>> weights_;  // weights_[l]: (widths[l+1], widths[l])
  std::vector<Matrix<float>> weight_grads_;
  std::vector<Matrix<float>> outputs_;  // outputs_[l]: Z of Linear l, (batch, widths[l+1])
  std::vector<Matrix<float>>
      output_grads_;  // dZ of Linear l (batch, widths[l+1]); dA of l+1 lands here
  // shares_[p - 1][l]: member p's share of dW_l in run_by_rows (member 0 writes weight_grads_).
  std::vector<std::vector<Matrix<float>>> shares_;
};

}  // namespace actlab::bench
