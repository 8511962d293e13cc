// Compiled with -fno-tree-vectorize: every loop here is scalar.
#include "scalar_baselines.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace actlab::bench {
namespace {

constexpr float kSqrtHalf = static_cast<float>(1 / std::numbers::sqrt2);
constexpr float kInvSqrt2Pi = static_cast<float>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
constexpr float kTanhScale = 0.7978845608f;  // √(2/π)
constexpr float kCubic = 0.044715f;
constexpr float kSeluScale = 1.0507009873554805f, kSeluAlpha = 1.6732632423543772f;

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

// Each activation as (forward expression, backward expression) over one element.
#define ACTLAB_BASELINE(NAME, FORWARD, BACKWARD)                                            \
  ScalarBaseline {                                                                          \
    NAME,                                                                                   \
        [](const float* xs, float* ys, std::size_t n) {                                     \
          for (std::size_t i = 0; i < n; ++i) {                                             \
            const float x = xs[i];                                                          \
            ys[i] = (FORWARD);                                                              \
          }                                                                                 \
        },                                                                                  \
        [](const float* dys, const float* xs, const float* ys, float* dxs, std::size_t n) { \
          for (std::size_t i = 0; i < n; ++i) {                                             \
            const float x = xs[i], y = ys[i];                                               \
            (void)x;                                                                        \
            (void)y;                                                                        \
            dxs[i] = dys[i] * (BACKWARD);                                                   \
          }                                                                                 \
        }                                                                                   \
  }

}  // namespace

std::vector<ScalarBaseline> scalar_baselines() {
  return {
      ACTLAB_BASELINE("sigmoid", sigmoid(x), y * (1 - y)),
      ACTLAB_BASELINE("tanh", std::tanh(x), 1 - y * y),
      ACTLAB_BASELINE("elu", std::max(x, 0.0f) + std::min(0.0f, std::expm1(x)),
                      std::exp(std::min(x, 0.0f))),
      ACTLAB_BASELINE(
          "selu", kSeluScale * (std::max(x, 0.0f) + std::min(0.0f, kSeluAlpha * std::expm1(x))),
          kSeluScale * (static_cast<float>(x > 0) +
                        static_cast<float>(x <= 0) * kSeluAlpha * std::exp(std::min(x, 0.0f)))),
      ACTLAB_BASELINE("celu", std::max(x, 0.0f) + std::min(0.0f, std::expm1(x)),
                      std::exp(std::min(x, 0.0f))),
      ACTLAB_BASELINE(
          "gelu", 0.5f * x * (1 + std::erf(x * kSqrtHalf)),
          0.5f * (1 + std::erf(x * kSqrtHalf)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x)),
      ACTLAB_BASELINE(
          "gelu_tanh", 0.5f * x * (1 + std::tanh(kTanhScale * (x + kCubic * x * x * x))),
          0.5f * (1 + std::tanh(kTanhScale * (x + kCubic * x * x * x))) +
              0.5f * x * (1 - std::pow(std::tanh(kTanhScale * (x + kCubic * x * x * x)), 2.0f)) *
                  kTanhScale * (1 + 3 * kCubic * x * x)),
      ACTLAB_BASELINE(
          "gelu_sigmoid", x * sigmoid(1.702f * x),
          sigmoid(1.702f * x) + 1.702f * x * sigmoid(1.702f * x) * (1 - sigmoid(1.702f * x))),
      ACTLAB_BASELINE("silu", x * sigmoid(x), sigmoid(x) * (1 + x * (1 - sigmoid(x)))),
      ACTLAB_BASELINE("swish", x * sigmoid(1.0f * x),
                      sigmoid(1.0f * x) + 1.0f * x * sigmoid(1.0f * x) * (1 - sigmoid(1.0f * x))),
      ACTLAB_BASELINE(
          "mish", x * std::tanh(std::log1p(std::exp(x))),
          std::tanh(std::log1p(std::exp(x))) +
              x * (1 - std::pow(std::tanh(std::log1p(std::exp(x))), 2.0f)) * sigmoid(x)),
      ACTLAB_BASELINE("softplus", std::log1p(std::exp(x)), sigmoid(x)),
      ACTLAB_BASELINE("logsigmoid", -std::log1p(std::exp(-x)), sigmoid(-x)),
  };
}

}  // namespace actlab::bench
