#pragma once
// The next step's batch, gathered by a team's members in time they would otherwise spend waiting
// (ComputeTeam::post_idle_work), into one of two slots while the step on the other runs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "actlab/core/compute_team.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/train/training_step.hpp"

namespace actlab {

class StagedBatches {
 public:
  // `data` and `team` must outlive this.
  StagedBatches(const Dataset& data, const Normalizer& normalizer, ComputeTeam& team,
                std::size_t batch_size);
  ~StagedBatches();
  StagedBatches(const StagedBatches&) = delete;
  StagedBatches& operator=(const StagedBatches&) = delete;

  // The batch of `indices` if it was staged (waiting for the members' last units first), else
  // nothing. Stays valid until the next take().
  std::optional<Batch> take(std::span<const std::uint32_t> indices);
  // Posts the gather of `indices` (the next step's batch) into the slot take() did not return.
  void stage(std::span<const std::uint32_t> indices);

 private:
  struct Slot {
    Matrix<float> x;  // (rows, features)
    std::vector<std::int32_t> labels;
    std::vector<std::uint32_t> indices;
  };
  // One unit of a slot's gather: a few rows, so that a member busy with one delays the next pass
  // by about a microsecond.
  struct Gather {
    StagedBatches* owner = nullptr;
    Slot* slot = nullptr;
    void operator()(std::size_t unit) const noexcept;
  };

  const Dataset& data_;
  const Normalizer& normalizer_;
  ComputeTeam& team_;
  std::size_t batch_size_;
  Slot slots_[2];
  Gather gather_;
  std::optional<std::size_t> staged_;  // the slot gathered for the next step
  std::size_t free_slot_ = 0;
};

}  // namespace actlab
