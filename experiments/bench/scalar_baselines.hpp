#pragma once
// Textbook scalar loops for the activations whose rules call exp, tanh, erf or log1p, written as
// study notes would (y = 1 / (1 + std::exp(-x)), ...) and compiled without vectorisation (see
// CMakeLists.txt), so std::exp & co. stay scalar libm calls. They are branch-free (fmin/fmax
// instead of `if`), so that the comparison with the vectorised layers measures the maths, not
// branch mispredictions. Default parameters; numerically naive, which does not matter on the
// benchmark's inputs in [-6, 6].
#include <cstddef>
#include <string_view>
#include <vector>

namespace actlab::bench {

struct ScalarBaseline {
  std::string_view name;  // the activation's registry name
  // x, y: (n)
  void (*forward)(const float* x, float* y, std::size_t n);
  // dx = dy ⊙ f'(x), given x and y = f(x), as the layer gets them.
  void (*backward)(const float* dy, const float* x, const float* y, float* dx, std::size_t n);
};

std::vector<ScalarBaseline> scalar_baselines();

}  // namespace actlab::bench
