#pragma once
// Owns the parameter, gradient and state buffers of one layer tested on its own (the network
// would otherwise own them), with access by tensor name ("weight", "norm.running_var", ...).
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "actlab/nn/layer.hpp"

namespace actlab::test {

template <typename T>
class LayerBuffers {
 public:
  // Binds `layer` to fresh zeroed buffers; call initialize() on the layer afterwards if wanted.
  explicit LayerBuffers(Layer<T>& layer) {
    const auto shapes = layer.parameter_shapes();
    std::vector<MatrixView<T>> values, grads, state;
    for (const auto& s : shapes) {
      values_[s.name] = Matrix<T>(s.rows, s.cols);
      grads_[s.name] = Matrix<T>(s.rows, s.cols);
      values.push_back(values_[s.name].view());
      grads.push_back(grads_[s.name].view());
    }
    layer.bind_parameters(values, grads);
    for (const auto& s : layer.state_shapes()) {
      state_[s.name] = Matrix<T>(s.rows, s.cols);
      state.push_back(state_[s.name].view());
    }
    if (!state.empty()) layer.bind_state(state);
  }

  Matrix<T>& value(const std::string& name) { return find(values_, name); }
  Matrix<T>& grad(const std::string& name) { return find(grads_, name); }
  Matrix<T>& state(const std::string& name) { return find(state_, name); }
  std::vector<std::string> parameter_names() const { return keys(values_); }
  std::vector<std::string> state_names() const { return keys(state_); }
  void zero_grad() {
    for (auto& [name, g] : grads_)
      g.fill(T{0});
  }

 private:
  static Matrix<T>& find(std::map<std::string, Matrix<T>>& map, const std::string& name) {
    const auto it = map.find(name);
    if (it == map.end()) throw std::out_of_range("no tensor named " + name);
    return it->second;
  }
  static std::vector<std::string> keys(const std::map<std::string, Matrix<T>>& map) {
    std::vector<std::string> out;
    for (const auto& [name, m] : map)
      out.push_back(name);
    return out;
  }

  // std::map: nodes never move, so the views bound to the layer stay valid.
  std::map<std::string, Matrix<T>> values_, grads_, state_;
};

}  // namespace actlab::test
