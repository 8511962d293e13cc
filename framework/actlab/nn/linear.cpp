#include "actlab/nn/linear.hpp"

#include <algorithm>

#include "actlab/core/compute_team.hpp"
#include "actlab/core/gemm.hpp"

namespace actlab {
namespace {

// How many rows (or columns) of `length` elements make up about kElementsPerPart elements.
std::size_t lines_per_part(std::size_t length) {
  return std::max<std::size_t>(1, kElementsPerPart / std::max<std::size_t>(length, 1));
}

}  // namespace

template <typename T>
Linear<T>::Linear(std::size_t in, std::size_t out, InitializerSpec init, double bias_init)
    : in_(in), out_(out), init_(init), bias_init_(bias_init) {}

template <typename T>
std::vector<ParameterShape> Linear<T>::parameter_shapes() const {
  return {{"weight", out_, in_}, {"bias", 1, out_}};
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
void Linear<T>::forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext&) {
  x_ = x;
  // Broadcasting b into y first lets the GEMM add x Wᵀ on top (beta = 1): one pass instead of two.
  parallel_for(y.rows, lines_per_part(out_), 1,
               [&](std::size_t, std::size_t begin, std::size_t end) {
                 for (std::size_t r = begin; r < end; ++r)
                   std::copy(bias_.data, bias_.data + out_, y.row(r));
               });
  gemm<T>(Transpose::kNo, Transpose::kYes, T{1}, x, weight_, T{1}, y);
}

// dy: (batch, out)  dW = dyᵀ x  db = Σ_rows dy  dx = dy W: (batch, in)
template <typename T>
void Linear<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  gemm<T>(Transpose::kYes, Transpose::kNo, T{1}, dy, x_, T{0}, weight_grad_);
  // Column sums, the columns split between the team's members (each sums its own in row order).
  T* db = bias_grad_.data;
  parallel_for(out_, std::max<std::size_t>(16, lines_per_part(dy.rows)), 16,
               [&](std::size_t, std::size_t begin, std::size_t end) {
                 std::fill(db + begin, db + end, T{0});
                 for (std::size_t r = 0; r < dy.rows; ++r) {
                   const T* row = dy.row(r);
#pragma omp simd
                   for (std::size_t j = begin; j < end; ++j)
                     db[j] += row[j];
                 }
               });
  if (dx.data != nullptr) gemm<T>(Transpose::kNo, Transpose::kNo, T{1}, dy, weight_, T{0}, dx);
}

template class Linear<float>;
template class Linear<double>;

}  // namespace actlab
