#pragma once
// Builds the classic multilayer perceptron: Linear → activation, repeated per hidden width, then a
// Linear producing the logits (softmax is fused into the loss, never a layer).
#include <vector>

#include "actlab/nn/activation.hpp"
#include "actlab/nn/initializer.hpp"
#include "actlab/nn/sequential.hpp"

namespace actlab {

struct MlpSpec {
  std::size_t inputs = 784;
  std::vector<std::size_t> hidden = {256, 256};
  std::size_t outputs = 10;
  ActivationConfig activation;
  InitializerSpec init;
  double bias_init = 0.0;
};

template <typename T>
Sequential<T> build_mlp(const MlpSpec& spec);

}  // namespace actlab
