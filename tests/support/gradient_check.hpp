#pragma once
// One finite-difference harness for every layer: in float64, it compares a layer's backward() with
// central differences of the scalar L = Σ y ⊙ R (R a fixed random matrix), for the input and for
// every parameter tensor.
#include <functional>
#include <memory>

#include "actlab/nn/layer.hpp"

namespace actlab::test {

struct GradientCheckOptions {
  std::size_t batch = 3;
  double step = 1e-6;       // central difference h
  double tolerance = 1e-6;  // on |analytic - numeric| / max(1, |numeric|)
  std::uint64_t seed = 7;
  bool training = false;  // forward mode used (a stochastic layer must then be deterministic)
  // Draws one input value; default N(0, 1). Lets a test keep inputs away from kinks.
  std::function<double(Rng&)> input = [](Rng& rng) { return rng.normal(); };
  // Runs after initialisation, before the check: e.g. sets parameters away from their initial
  // values, or moves BatchNorm's running statistics by training forwards.
  std::function<void(Layer<double>&, Rng&)> prepare = nullptr;
};

struct GradientCheckResult {
  double max_input_error = 0;
  double max_parameter_error = 0;
  std::size_t parameters_checked = 0;
};

// Binds the layer to fresh parameter (and state) buffers, initialises it with `seed`, and runs
// the check.
GradientCheckResult check_layer_gradients(Layer<double>& layer,
                                          const GradientCheckOptions& options = {});

}  // namespace actlab::test
