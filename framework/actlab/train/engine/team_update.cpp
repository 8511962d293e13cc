#include "actlab/train/engine/team_update.hpp"

#include <algorithm>
#include <cmath>

#include "actlab/core/prefetch.hpp"
#include "actlab/core/sum_of_squares.hpp"

namespace actlab {
namespace {

// The fused pass goes through the gradients in pieces of kPiece floats (16 KB): each is summed,
// then updated, while it is in L1.
constexpr std::size_t kPiece = 16 * kSumOfSquaresBlock;
// A tensor is split between the team's members in whole pieces, at least two to a member: a bias
// vector stays on one.
constexpr std::size_t kPartGrain = 2 * kPiece;

}  // namespace

TeamUpdate::TeamUpdate(Sequential<float>& network, Optimizer& optimizer, ComputeTeam& team)
    : network_(network),
      optimizer_(optimizer),
      team_(team),
      part_sums_(network.named_parameters().size() * team_size(&team)) {
  for (const auto& [name, buffer] : optimizer.state_buffers())
    optimizer_state_.push_back(buffer.data());
}

void TeamUpdate::square_sums(std::span<double> square_sums) {
  const auto& named = network_.named_parameters();
  for (std::size_t t = 0; t < named.size(); ++t) {
    const std::span<const float> grads(named[t].grad.data, named[t].grad.size());
    const std::size_t parts = parallel_parts(&team_, grads.size(), kPartGrain);
    parallel_for(&team_, grads.size(), kPartGrain, kPiece,
                 [&](std::size_t part, std::size_t begin, std::size_t end) {
                   part_sums_[part] = sum_of_squares(grads.subspan(begin, end - begin));
                 });
    double total = 0;
    for (std::size_t part = 0; part < parts; ++part)
      total += part_sums_[part];
    square_sums[t] = total;
  }
}

void TeamUpdate::update(double lr) {
  const std::span<float> params = network_.parameters();
  const std::span<const float> grads = network_.gradients();
  parallel_for(&team_, params.size(), kPartGrain, kPiece,
               [&](std::size_t, std::size_t begin, std::size_t end) {
                 optimizer_.update(params.subspan(begin, end - begin),
                                   grads.subspan(begin, end - begin), begin, lr);
               });
  optimizer_.finish_step();
}

bool TeamUpdate::update_with_square_sums(double lr, std::span<const std::span<const float>> shares,
                                         std::span<double> square_sums) {
  const auto& named = network_.named_parameters();
  const std::size_t members = team_size(&team_);
  const float* const first_param = network_.parameters().data();
  // Every tensor is cut as square_sums() cuts it; all the tensors' parts are handed out in one
  // pass. A tensor too small to cut goes whole to one member, taking turns, so that the biases do
  // not all land on member 0.
  auto task = [&](int member_id) {
    const auto member = static_cast<std::size_t>(member_id);
    for (std::size_t t = 0; t < named.size(); ++t) {
      const NamedParameter<float>& p = named[t];
      const std::size_t n = p.grad.size();
      const std::size_t parts = parts_of(n, kPartGrain, members);
      std::size_t part = member;
      if (parts == 1) {
        if (t % members != member) continue;
        part = 0;
      } else if (member >= parts) {
        continue;
      }
      const auto [begin, end] = part_range(n, parts, kPiece, part);
      const auto offset = static_cast<std::size_t>(p.value.data - first_param);
      SumOfSquares sum;
      for (std::size_t piece = begin; piece < end; piece += kPiece) {
        const std::size_t size = std::min(kPiece, end - piece);
        float* const grad = p.grad.data + piece;
        // The update streams this piece's parameters and optimizer state from L3 or memory: asked
        // for now, they arrive while the shares are added. Without shares nothing hides the wait,
        // and the requests only cost time (BENCHMARKS.md).
        if (!shares.empty()) {
          prefetch_for_update(p.value.data + piece, size);
          for (const float* state : optimizer_state_)
            prefetch_for_update(state + offset + piece, size);
        }
        for (const std::span<const float> share : shares) {
          const float* const from = share.data() + offset + piece;
#pragma omp simd
          for (std::size_t k = 0; k < size; ++k)
            grad[k] += from[k];
        }
        sum.add({grad, size});
        if (!std::isfinite(sum.total())) break;
        optimizer_.update({p.value.data + piece, size}, {grad, size}, offset + piece, lr);
      }
      part_sums_[t * members + part] = sum.total();
      if (!std::isfinite(sum.total())) return;
    }
  };
  std::fill(part_sums_.begin(), part_sums_.end(), 0.0);
  team_.run(task);
  bool finite = true;
  for (std::size_t t = 0; t < named.size(); ++t) {
    const std::size_t parts = parts_of(named[t].grad.size(), kPartGrain, members);
    double total = 0;
    for (std::size_t part = 0; part < parts; ++part)
      total += part_sums_[t * members + part];
    square_sums[t] = total;
    finite = finite && std::isfinite(total);
  }
  return finite;
}

}  // namespace actlab
