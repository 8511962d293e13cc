#include "actlab/train/engine/staged_batches.hpp"

#include <algorithm>

#include "actlab/data/batch.hpp"

namespace actlab {
namespace {

constexpr std::size_t kRowsPerUnit = 2;

}  // namespace

StagedBatches::StagedBatches(const Dataset& data, const Normalizer& normalizer, ComputeTeam& team,
                             std::size_t batch_size)
    : data_(data), normalizer_(normalizer), team_(team), batch_size_(batch_size) {
  for (Slot& slot : slots_) {
    slot.x.resize(batch_size, data.features);
    slot.labels.resize(batch_size);
    slot.indices.reserve(batch_size);
  }
}

StagedBatches::~StagedBatches() {
  team_.finish_idle_work();  // nothing of a member's may still write the slots
}

void StagedBatches::Gather::operator()(std::size_t unit) const noexcept {
  const std::size_t rows = slot->indices.size();
  const std::size_t begin = unit * kRowsPerUnit;
  gather_rows(owner->data_, slot->indices, owner->normalizer_, slot->x.view().row_range(0, rows),
              {slot->labels.data(), rows}, begin, std::min(rows, begin + kRowsPerUnit));
}

std::optional<Batch> StagedBatches::take(std::span<const std::uint32_t> indices) {
  team_.finish_idle_work();
  std::optional<Batch> batch;
  free_slot_ = 0;
  if (staged_ && std::ranges::equal(slots_[*staged_].indices, indices)) {
    const Slot& slot = slots_[*staged_];
    const std::size_t rows = indices.size();
    batch = Batch{slot.x.view().row_range(0, rows), {slot.labels.data(), rows}};
    free_slot_ = 1 - *staged_;
  }
  staged_.reset();
  return batch;
}

void StagedBatches::stage(std::span<const std::uint32_t> indices) {
  const std::size_t rows = indices.size();
  if (rows == 0 || rows > batch_size_) return;
  Slot& slot = slots_[free_slot_];
  slot.indices.assign(indices.begin(), indices.end());  // within capacity
  check_batch(data_, slot.indices, slot.x.view().row_range(0, rows), {slot.labels.data(), rows});
  gather_ = {this, &slot};
  team_.post_idle_work(gather_, (rows + kRowsPerUnit - 1) / kRowsPerUnit);
  staged_ = free_slot_;
}

}  // namespace actlab
