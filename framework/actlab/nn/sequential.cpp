#include "actlab/nn/sequential.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include "actlab/core/compute_team.hpp"
#include "actlab/nn/linear.hpp"

namespace actlab {

template <typename T>
void Sequential<T>::add(std::unique_ptr<Layer<T>> layer, std::size_t depth) {
  if (finalized_) throw std::logic_error("Sequential::add after finalize");
  if (!layers_.empty() && layers_.back()->output_size() != layer->input_size())
    throw std::logic_error("layer " + std::to_string(layers_.size()) + " (" + layer->kind() +
                           ") expects " + std::to_string(layer->input_size()) +
                           " inputs but the previous layer gives " +
                           std::to_string(layers_.back()->output_size()));
  layers_.push_back(std::move(layer));
  depths_.push_back(depth);
}

template <typename T>
void Sequential<T>::finalize() {
  std::size_t total = 0;
  for (const auto& layer : layers_)
    for (const auto& shape : layer->parameter_shapes())
      total += shape.rows * shape.cols;
  params_.resize(1, total);
  grads_.resize(1, total);
  params_.fill(T{0});
  grads_.fill(T{0});

  named_.clear();
  accumulated_grads_.clear();
  linear_.clear();
  std::size_t offset = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const std::size_t first = offset;
    linear_.push_back(dynamic_cast<Linear<T>*>(layers_[i].get()));
    std::vector<MatrixView<T>> values, grads;
    for (const auto& shape : layers_[i]->parameter_shapes()) {
      MatrixView<T> value{params_.data() + offset, shape.rows, shape.cols};
      MatrixView<T> grad{grads_.data() + offset, shape.rows, shape.cols};
      values.push_back(value);
      grads.push_back(grad);
      named_.push_back({std::to_string(i) + "." + layers_[i]->kind() + "." + shape.name, i,
                        shape.name, value, grad});
      offset += shape.rows * shape.cols;
    }
    layers_[i]->bind_parameters(values, grads);
    if (offset > first && !layers_[i]->overwrites_gradients())
      accumulated_grads_.emplace_back(grads_.data() + first, offset - first);
  }

  std::size_t state_total = 0;
  for (const auto& layer : layers_)
    for (const auto& shape : layer->state_shapes())
      state_total += shape.rows * shape.cols;
  state_.resize(1, state_total);
  state_.fill(T{0});
  named_state_.clear();
  offset = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    std::vector<MatrixView<T>> views;
    for (const auto& shape : layers_[i]->state_shapes()) {
      MatrixView<T> view{state_.data() + offset, shape.rows, shape.cols};
      views.push_back(view);
      named_state_.push_back(
          {std::to_string(i) + "." + layers_[i]->kind() + "." + shape.name, i, shape.name, view});
      offset += shape.rows * shape.cols;
    }
    if (!views.empty()) layers_[i]->bind_state(views);
  }
  finalized_ = true;
}

template <typename T>
void Sequential<T>::initialize(Rng& rng) {
  if (!finalized_) finalize();
  for (auto& layer : layers_)
    layer->initialize(rng);
}

template <typename T>
void Sequential<T>::plan(std::size_t max_batch) {
  if (!finalized_) finalize();
  outputs_.resize(layers_.size());
  output_grads_.resize(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    outputs_[i].resize(max_batch, layers_[i]->output_size());
    output_grads_[i].resize(max_batch, layers_[i]->output_size());
  }
  batch_ = max_batch;
}

template <typename T>
MatrixView<T> Sequential<T>::forward(MatrixView<const T> x, const ForwardContext& context) {
  if (x.rows > batch_ || outputs_.size() != layers_.size()) plan(x.rows);
  input_ = x;
  MatrixView<const T> current = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Matrix<T>& out = outputs_[i];
    out.resize(x.rows, layers_[i]->output_size());  // within capacity: no allocation
    layers_[i]->forward(current, out.view(), context);
    current = out.view();
  }
  return outputs_.back().view();
}

template <typename T>
void Sequential<T>::backward(MatrixView<const T> doutput) {
  const std::size_t rows = doutput.rows;
  MatrixView<const T> dy = doutput;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    MatrixView<T> dx{};  // the first layer's input gradient is never needed
    if (i > 0) {
      Matrix<T>& grad = output_grads_[i - 1];
      grad.resize(rows, layers_[i - 1]->output_size());
      dx = grad.view();
    }
    layers_[i]->backward(dy, dx);
    dy = dx;
  }
  // Keep a copy of dL/d(network output) for probes that ask for it.
  Matrix<T>& last = output_grads_.back();
  last.resize(rows, doutput.cols);
  if (last.data() != doutput.data)
    std::copy(doutput.data, doutput.data + doutput.size(), last.data());
}

template <typename T>
bool Sequential<T>::runs_by_rows() const {
  if (layers_.empty()) return false;
  for (const auto& layer : layers_)
    if (!layer->runs_blockwise() && dynamic_cast<const Linear<T>*>(layer.get()) == nullptr)
      return false;
  return true;
}

template <typename T>
void Sequential<T>::forward_backward_by_rows(
    MatrixView<const T> x, MatrixView<const T> doutput, const ForwardContext& context,
    FunctionRef<void(std::size_t member, std::size_t first, std::size_t last,
                     MatrixView<const T> logits)>
        loss) {
  assert(runs_by_rows());
  if (x.rows > batch_ || outputs_.size() != layers_.size()) plan(x.rows);
  input_ = x;
  const std::size_t rows = x.rows;
  const auto members = static_cast<std::size_t>(current_team_size());
  if (partial_grads_.size() + 1 < members) {
    partial_grads_.resize(members - 1, grads_);
    shares_.reserve(members - 1);
  }

  // Everything that changes a layer's state, on this thread before the members start.
  auto input_of = [&](std::size_t i) {
    return i == 0 ? x : MatrixView<const T>(outputs_[i - 1].view());
  };
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    outputs_[i].resize(rows, layers_[i]->output_size());  // within capacity: no allocation
    output_grads_[i].resize(rows, layers_[i]->output_size());
    if (Linear<T>* linear = linear_[i])
      linear->begin_rows(input_of(i));
    else
      layers_[i]->begin_blockwise_forward(input_of(i), outputs_[i].view(), context);
  }

  auto run_rows = [&](int member_id) {
    const auto member = static_cast<std::size_t>(member_id);
    const std::pair<std::size_t, std::size_t> range = part_range(rows, members, 1, member);
    const std::size_t first = range.first, last = range.second;
    if (first == last) return;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      if (const Linear<T>* linear = linear_[i])
        linear->forward_rows(input_of(i), outputs_[i].view(), first, last);
      else
        layers_[i]->forward_block({first, last, 0, outputs_[i].cols()});
    }
    loss(member, first, last, outputs_.back().view());
    std::copy(doutput.row(first), doutput.row(last), output_grads_.back().view().row(first));
    // A member's share of a gradient sits where the gradient sits in grads_, in its own buffer.
    auto share = [&](MatrixView<T> grad) -> MatrixView<T> {
      if (member == 0) return grad;
      T* const base = partial_grads_[member - 1].data();
      return {base + (grad.data - grads_.data()), grad.rows, grad.cols};
    };
    for (std::size_t i = layers_.size(); i-- > 0;) {
      const MatrixView<const T> dy = output_grads_[i].view();
      const MatrixView<T> dx = i > 0 ? output_grads_[i - 1].view() : MatrixView<T>{};
      if (const Linear<T>* linear = linear_[i]) {
        linear->backward_rows(dy, input_of(i), dx, share(linear->weight_grad()),
                              share(linear->bias_grad()), first, last);
      } else if (dx.data != nullptr) {
        layers_[i]->backward_block(dy, dx, {first, last, 0, dx.cols});
      }
    }
  };
  if (members == 1)
    run_rows(0);
  else
    current_team()->run(run_rows);

  shares_.clear();  // within capacity after the first step
  for (std::size_t member = 1; member < members; ++member) {
    const std::pair<std::size_t, std::size_t> range = part_range(rows, members, 1, member);
    if (range.first < range.second)
      shares_.emplace_back(partial_grads_[member - 1].data(), grads_.size());
  }
  shares_pending_ = shares_.size();
}

template <typename T>
std::span<const std::span<const T>> Sequential<T>::take_gradient_shares() {
  const std::span<const std::span<const T>> pending(shares_.data(), shares_pending_);
  shares_pending_ = 0;
  return pending;
}

template <typename T>
void Sequential<T>::add_gradient_shares() {
  const std::span<const std::span<const T>> shares = take_gradient_shares();
  if (shares.empty()) return;
  T* const grads = grads_.data();
  parallel_for(grads_.size(), kElementsPerPart, 16,
               [&](std::size_t, std::size_t begin, std::size_t end) {
                 for (const std::span<const T> share : shares) {
                   const T* from = share.data();
#pragma omp simd
                   for (std::size_t k = begin; k < end; ++k)
                     grads[k] += from[k];
                 }
               });
}

template <typename T>
std::vector<std::pair<std::string, std::span<T>>> Sequential<T>::state_buffers() {
  std::vector<std::pair<std::string, std::span<T>>> buffers;
  for (const auto& s : named_state_)
    buffers.emplace_back(s.name, std::span<T>(s.value.data, s.value.size()));
  return buffers;
}

template <typename T>
void Sequential<T>::zero_grad() {
  for (const std::span<T> grads : accumulated_grads_)
    std::fill(grads.begin(), grads.end(), T{0});
}

template <typename T>
std::size_t Sequential<T>::input_size() const {
  return layers_.empty() ? 0 : layers_.front()->input_size();
}

template <typename T>
std::size_t Sequential<T>::output_size() const {
  return layers_.empty() ? 0 : layers_.back()->output_size();
}

template <typename T>
MatrixView<const T> Sequential<T>::layer_input(std::size_t i) const {
  return i == 0 ? input_ : outputs_[i - 1].view();
}

template <typename T>
MatrixView<const T> Sequential<T>::layer_output(std::size_t i) const {
  return outputs_[i].view();
}

template <typename T>
MatrixView<const T> Sequential<T>::layer_output_grad(std::size_t i) const {
  return output_grads_[i].view();
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace actlab
