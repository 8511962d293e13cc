#pragma once
// The gradient norms and the optimizer update, split between a team's members, and fused into one
// pass over the gradients when nothing needs the global norm before the update (no clipping).
// Every tensor is cut the same way for the norms and the update, and every update is elementwise,
// so the fused pass gives results bit-identical to the norms, then the update.
#include <cstddef>
#include <span>
#include <vector>

#include "actlab/core/compute_team.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/optim/optimizer.hpp"

namespace actlab {

class TeamUpdate {
 public:
  // All three must outlive this; the optimizer's state buffers must not move.
  TeamUpdate(Sequential<float>& network, Optimizer& optimizer, ComputeTeam& team);

  // Σ g² of every named parameter into square_sums (in named_parameters() order).
  void square_sums(std::span<double> square_sums);
  // One optimizer step with learning rate lr.
  void update(double lr);
  // Both in one pass: each tensor's piece is summed, then updated, while it is in L1. `shares`
  // (a row-parallel pass's other members' gradients) are first added to each piece. False if a sum
  // is not finite: the member that met it stopped before that piece and updated nothing after it
  // (the run stops there anyway). The caller ends the step (Optimizer::finish_step) once the
  // global norm is known to be finite.
  bool update_with_square_sums(double lr, std::span<const std::span<const float>> shares,
                               std::span<double> square_sums);

 private:
  Sequential<float>& network_;
  Optimizer& optimizer_;
  ComputeTeam& team_;
  std::vector<float*> optimizer_state_;  // prefetched with the parameters before a piece's update
  std::vector<double> part_sums_;        // one Σ g² per tensor and member
};

}  // namespace actlab
