#pragma once
// An interface a layer opts into (besides Layer) when it can run a batch's rows in independent
// blocks, side by side on a team's members: the engine's row-parallel pass
// (train/engine/row_parallel_pass.hpp) runs every layer of such a network this way, each member
// with its own rows from the input to the loss and back, with no hand-off between layers.
#include <cstddef>
#include <span>

#include "actlab/nn/layer.hpp"

namespace actlab {

template <typename T>
class RowParallelLayer {
 public:
  virtual ~RowParallelLayer() = default;

  // Whether this instance can (an activation with a learnable parameter cannot).
  virtual bool runs_by_rows() const { return true; }
  // On the calling thread, before the members start: everything forward() does to the layer's
  // state (the views it keeps for backward), none of the per-row work.
  virtual void begin_rows(MatrixView<const T> x, MatrixView<T> y,
                          const ForwardContext& context) = 0;
  // Rows [first, last) of y from those of x (and of what the layer keeps for backward, in buffers
  // begin_rows sized); members call it side by side on their own rows.
  virtual void forward_rows(MatrixView<const T> x, MatrixView<T> y, std::size_t first,
                            std::size_t last) = 0;
  // Rows [first, last) of dx from dy (skipped when dx is empty), and those rows' contribution to
  // the parameter gradients, *written* to `grads` (views shaped as parameter_shapes(): the calling
  // member's own buffers).
  virtual void backward_rows(MatrixView<const T> dy, MatrixView<const T> x, MatrixView<T> dx,
                             std::span<const MatrixView<T>> grads, std::size_t first,
                             std::size_t last) = 0;
};

}  // namespace actlab
