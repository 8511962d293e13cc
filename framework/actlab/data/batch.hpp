#pragma once
// Turning stored examples into training batches: the per-epoch order and the byte→float gather.
#include <cstddef>
#include <cstdint>
#include <span>

#include "actlab/core/matrix.hpp"
#include "actlab/data/dataset.hpp"

namespace actlab {

class ComputeTeam;

// Converts the examples at `indices` into x: (indices.size(), features) floats, byte * scale +
// shift, and copies their labels: (indices.size()), the rows split between `team`'s members.
// Allocates nothing; throws std::invalid_argument on a shape mismatch or an index outside the data
// set (both are bugs in the caller).
void gather_batch(const Dataset& data, std::span<const std::uint32_t> indices,
                  const Normalizer& normalizer, MatrixView<float> x, std::span<std::int32_t> labels,
                  ComputeTeam* team = nullptr);

// Throws std::invalid_argument, as gather_batch does, unless gather_batch(data, indices, ...)
// into x and labels would be valid.
void check_batch(const Dataset& data, std::span<const std::uint32_t> indices,
                 MatrixView<const float> x, std::span<const std::int32_t> labels);
// Rows [begin, end) of gather_batch, on the calling thread, unchecked (check_batch first).
void gather_rows(const Dataset& data, std::span<const std::uint32_t> indices,
                 const Normalizer& normalizer, MatrixView<float> x, std::span<std::int32_t> labels,
                 std::size_t begin, std::size_t end) noexcept;

// Asks the memory system for the examples at `indices` ahead of their gather_batch: a batch's
// rows lie scattered over the data set and would otherwise each come from DRAM while the gather
// waits. Returns at once; the caller goes on with other work (the current step).
void prefetch_batch(const Dataset& data, std::span<const std::uint32_t> indices);

// Fills out (n entries) with a permutation of 0..n-1 that depends only on (seed, epoch), so a
// resumed run sees the same order as an uninterrupted one. Throws std::invalid_argument if
// out.size() != n.
void epoch_order(std::size_t n, std::uint64_t seed, std::size_t epoch,
                 std::span<std::uint32_t> out);

}  // namespace actlab
