#include "actlab/nn/linear.hpp"

#include <algorithm>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/gemm.hpp"

namespace actlab {
namespace {

// b into the given block of y (every row of the block gets b's columns of the block). A loop, not
// std::copy per row: a block's rows are short, and a memmove call per row costs as much as the
// copying.
template <typename T>
void broadcast_bias(MatrixView<const T> bias, MatrixView<T> y, const MatrixBlock& block) {
  const T* __restrict b = bias.data;
  for (std::size_t r = block.row_begin; r < block.row_end; ++r) {
    T* __restrict row = y.row(r);
#pragma omp simd
    for (std::size_t c = block.col_begin; c < block.col_end; ++c)
      row[c] = b[c];
  }
}

// db[j] = Σ_rows dy[r][j] for the columns [begin, end), each summed in row order.
template <typename T>
void sum_columns(MatrixView<const T> dy, T* db, std::size_t begin, std::size_t end) {
  std::fill(db + begin, db + end, T{0});
  for (std::size_t r = 0; r < dy.rows; ++r) {
    const T* row = dy.row(r);
#pragma omp simd
    for (std::size_t j = begin; j < end; ++j)
      db[j] += row[j];
  }
}

}  // namespace

template <typename T>
Linear<T>::Linear(std::size_t in, std::size_t out, InitializerSpec init, double bias_init)
    : in_(in), out_(out), init_(init), bias_init_(bias_init) {}

template <typename T>
std::vector<ParameterShape> Linear<T>::parameter_shapes() const {
  return {{.name = "weight", .rows = out_, .cols = in_, .written_by_backward = true},
          {.name = "bias", .rows = 1, .cols = out_, .written_by_backward = true}};
}

template <typename T>
void Linear<T>::bind_parameters(std::span<const MatrixView<T>> values,
                                std::span<const MatrixView<T>> grads) {
  weight_ = values[0];
  bias_ = values[1];
  weight_grad_ = grads[0];
  bias_grad_ = grads[1];
}

template <typename T>
void Linear<T>::initialize(Rng& rng) {
  initialize_weights(weight_, init_, rng);
  for (std::size_t j = 0; j < out_; ++j)
    bias_.data[j] = static_cast<T>(bias_init_);
}

// x: (batch, in)  W: (out, in)  b: (1, out)  y: (batch, out)
template <typename T>
void Linear<T>::forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) {
  x_ = x;
  team_ = context.team;
  // Broadcasting b into y first lets the GEMM add x Wᵀ on top (beta = 1): one pass instead of two.
  // Each member broadcasts into its own block of y just before computing it, while it is in cache.
  auto prepare = [&](const MatrixBlock& block) { broadcast_bias<T>(bias_, y, block); };
  gemm<T>(Transpose::kNo, Transpose::kYes, T{1}, x, weight_, T{1}, y, team_,
          {.prepare = prepare, .alongside = {}, .split = GemmSplit::kAuto});
}

// dy: (batch, out)  dW = dyᵀ x  db = Σ_rows dy  dx = dy W: (batch, in)
template <typename T>
void Linear<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  // db's column sums, the columns cut as dW's rows are (both are the output units), each part
  // summed by the member that computed those rows of dW, in row order (so any cut gives the same
  // sums).
  auto sum_bias_gradient = [&](std::size_t part, std::size_t parts) {
    const std::pair<std::size_t, std::size_t> columns = part_range(out_, parts, 16, part);
    sum_columns<T>(dy, bias_grad_.data, columns.first, columns.second);
  };
  gemm<T>(Transpose::kYes, Transpose::kNo, T{1}, dy, x_, T{0}, weight_grad_, team_,
          {.prepare = {}, .alongside = sum_bias_gradient, .split = GemmSplit::kRows});
  if (dx.data != nullptr)
    gemm<T>(Transpose::kNo, Transpose::kNo, T{1}, dy, weight_, T{0}, dx, team_);
}

template <typename T>
void Linear<T>::begin_rows(MatrixView<const T> x, MatrixView<T>, const ForwardContext&) {
  x_ = x;
  team_ = nullptr;
}

template <typename T>
void Linear<T>::forward_rows(MatrixView<const T> x, MatrixView<T> y, std::size_t first,
                             std::size_t last) {
  broadcast_bias<T>(bias_, y, {first, last, 0, out_});
  gemm<T>(Transpose::kNo, Transpose::kYes, T{1}, x.row_range(first, last - first), weight_, T{1},
          y.row_range(first, last - first));
}

template <typename T>
void Linear<T>::backward_rows(MatrixView<const T> dy, MatrixView<const T> x, MatrixView<T> dx,
                              std::span<const MatrixView<T>> grads, std::size_t first,
                              std::size_t last) {
  const MatrixView<const T> dy_rows = dy.row_range(first, last - first);
  gemm<T>(Transpose::kYes, Transpose::kNo, T{1}, dy_rows, x.row_range(first, last - first), T{0},
          grads[0]);
  sum_columns<T>(dy_rows, grads[1].data, 0, out_);
  if (dx.data != nullptr)
    gemm<T>(Transpose::kNo, Transpose::kNo, T{1}, dy_rows, weight_, T{0},
            dx.row_range(first, last - first));
}

template class Linear<float>;
template class Linear<double>;

}  // namespace actlab
