#pragma once
// Row-major dense matrices: an owning, 64-byte-aligned `Matrix<T>` and a non-owning
// `MatrixView<T>`. Views are cheap (pointer + shape) and are what every kernel takes; a batch is a
// view of the first rows of a buffer planned for the largest batch, so a short last batch allocates
// nothing.
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

namespace actlab {

inline constexpr std::size_t kAlignment = 64;  // one cache line; enough for AVX-512 loads

template <typename T>
struct MatrixView {
  T* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;

  std::size_t size() const { return rows * cols; }
  T* row(std::size_t r) const { return data + r * cols; }
  T& operator()(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
  // The `count` rows starting at `first`: still contiguous, since rows are packed.
  MatrixView row_range(std::size_t first, std::size_t count) const {
    assert(first + count <= rows);
    return {data + first * cols, count, cols};
  }
  void fill_with(std::remove_const_t<T> value) const requires(!std::is_const_v<T>) {
    std::fill(data, data + size(), value);
  }
  operator MatrixView<const T>() const requires(!std::is_const_v<T>) { return {data, rows, cols}; }
};

// A block of a matrix: rows [row_begin, row_end) × columns [col_begin, col_end).
struct MatrixBlock {
  std::size_t row_begin, row_end, col_begin, col_end;
};

template <typename T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols) { resize(rows, cols); }
  Matrix(const Matrix& other) : Matrix(other.rows_, other.cols_) {
    std::copy(other.data(), other.data() + size(), data());
  }
  Matrix& operator=(const Matrix& other) {
    if (this != &other) {
      resize(other.rows_, other.cols_);
      std::copy(other.data(), other.data() + size(), data());
    }
    return *this;
  }
  Matrix(Matrix&&) noexcept = default;
  Matrix& operator=(Matrix&&) noexcept = default;

  // Changes the shape; allocates only when the new size exceeds the capacity. Contents after a
  // reallocation are zero; after a shrink they are whatever was there.
  void resize(std::size_t rows, std::size_t cols) {
    const std::size_t n = rows * cols;
    if (n > capacity_) {
      storage_.reset(n ? allocate(n) : nullptr);
      capacity_ = n;
      std::fill(storage_.get(), storage_.get() + n, T{0});
    }
    rows_ = rows;
    cols_ = cols;
  }
  void fill(T value) { std::fill(data(), data() + size(), value); }

  T* data() { return storage_.get(); }
  const T* data() const { return storage_.get(); }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t size() const { return rows_ * cols_; }
  std::size_t capacity() const { return capacity_; }
  T& operator()(std::size_t r, std::size_t c) { return data()[r * cols_ + c]; }
  const T& operator()(std::size_t r, std::size_t c) const { return data()[r * cols_ + c]; }

  MatrixView<T> view() { return {data(), rows_, cols_}; }
  MatrixView<const T> view() const { return {data(), rows_, cols_}; }
  operator MatrixView<T>() { return view(); }
  operator MatrixView<const T>() const { return view(); }

 private:
  struct AlignedDelete {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t{kAlignment}); }
  };
  static T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t{kAlignment}));
  }

  std::unique_ptr<T[], AlignedDelete> storage_;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace actlab
