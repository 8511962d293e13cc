#pragma once
// The execution engine: the training step of training_step.hpp, computed fast. What it adds to the
// reference step, each in its own unit:
//   - the compute team: every pass split between the run's threads (core/compute_team.hpp);
//   - staged batches: the next batch gathered in the members' idle time (staged_batches.hpp);
//   - the row-parallel pass: forward, loss and backward by rows on narrow networks
//     (row_parallel_pass.hpp);
//   - the fused norm-and-update: one pass over the gradients without clipping (team_update.hpp).
// Its results equal the reference step's: bit for bit on one thread, and within float rounding
// where a team sums in another order (tests/train/engine_test.cpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "actlab/core/compute_team.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/train/engine/row_parallel_pass.hpp"
#include "actlab/train/engine/staged_batches.hpp"
#include "actlab/train/engine/team_update.hpp"
#include "actlab/train/training_step.hpp"

namespace actlab {

class StepEngine {
 public:
  // A team of `threads` members. `network` (planned), `optimizer` and `train` must outlive it.
  StepEngine(int threads, Sequential<float>& network, Optimizer& optimizer, const Dataset& train,
             const Normalizer& normalizer, std::size_t batch_size);

  ComputeTeam& team() { return team_; }
  bool runs_by_rows() const { return rows_.has_value(); }

  // The training batch of `indices`: gathered ahead if it was, else now on the team. The gather
  // of `next_indices`, the next step's batch, is posted for the members' idle time (on one thread
  // its rows are only requested from memory). Valid until the next fetch().
  Batch fetch(std::span<const std::uint32_t> indices, std::span<const std::uint32_t> next_indices);
  // reference_step(state, batch, at, buffers), on the team.
  StepResult step(TrainingState& state, const Batch& batch, const StepPosition& at,
                  StepBuffers& buffers);

 private:
  // The gradients of the last pass complete, and their norms (as compute_gradients leaves them).
  double complete_gradients(TrainingState& state, MatrixView<const float> dlogits,
                            StepBuffers& buffers);

  ComputeTeam team_;
  const Dataset& train_;
  const Normalizer& normalizer_;
  Matrix<float> x_;  // (batch, features): a batch gathered by fetch() itself
  std::vector<std::int32_t> labels_;
  std::optional<StagedBatches> staged_;  // on teams
  std::optional<RowParallelPass> rows_;  // on teams, for the networks it suits
  TeamUpdate update_;
};

}  // namespace actlab
