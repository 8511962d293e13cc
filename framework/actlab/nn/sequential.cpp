#include "actlab/nn/sequential.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

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
  std::size_t offset = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    std::vector<MatrixView<T>> values, grads;
    for (const auto& shape : layers_[i]->parameter_shapes()) {
      MatrixView<T> value{params_.data() + offset, shape.rows, shape.cols};
      MatrixView<T> grad{grads_.data() + offset, shape.rows, shape.cols};
      values.push_back(value);
      grads.push_back(grad);
      named_.push_back({std::to_string(i) + "." + layers_[i]->kind() + "." + shape.name, i,
                        shape.name, value, grad});
      if (!shape.written_by_backward) accumulated_grads_.emplace_back(grad.data, grad.size());
      offset += shape.rows * shape.cols;
    }
    layers_[i]->bind_parameters(values, grads);
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

template <typename T>
MatrixView<T> Sequential<T>::output_buffer(std::size_t i, std::size_t rows) {
  outputs_[i].resize(rows, layers_[i]->output_size());  // within capacity: no allocation
  return outputs_[i].view();
}

template <typename T>
MatrixView<T> Sequential<T>::output_grad_buffer(std::size_t i, std::size_t rows) {
  output_grads_[i].resize(rows, layers_[i]->output_size());  // within capacity: no allocation
  return output_grads_[i].view();
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace actlab
