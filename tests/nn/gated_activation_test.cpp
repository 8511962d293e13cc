#include "actlab/nn/gated_activation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "actlab/nn/mlp.hpp"
#include "support/gradient_check.hpp"

namespace actlab {
namespace {

// x = [a | b] with a = (1, 2, -3), b = (0, ln 3, -ln 3): σ(b) = (1/2, 3/4, 1/4).
TEST(GatedActivation, SplitsIntoValueHalfAndGateHalf) {
  const double ln3 = std::log(3.0);
  Matrix<double> x(1, 6), y(1, 3);
  const double values[] = {1, 2, -3, 0, ln3, -ln3};
  std::copy(values, values + 6, x.data());
  const double phi = 0.5 * std::erfc(-ln3 / std::numbers::sqrt2);  // Φ(ln 3)
  const double phi_neg = 1 - phi;                                  // Φ(-ln 3)
  struct Case {
    GateKind kind;
    double expected[3];
  };
  const Case cases[] = {
      {GateKind::kGlu, {0.5, 2 * 0.75, -3 * 0.25}},
      {GateKind::kSwiglu, {0.0, 2 * ln3 * 0.75, -3 * -ln3 * 0.25}},
      {GateKind::kGeglu, {0.0, 2 * ln3 * phi, -3 * -ln3 * phi_neg}},
  };
  for (const Case& c : cases) {
    GatedActivation<double> layer(c.kind, 6);
    SCOPED_TRACE(layer.kind());
    EXPECT_EQ(layer.input_size(), 6u);
    EXPECT_EQ(layer.output_size(), 3u);
    layer.forward(x.view(), y.view(), {});
    for (std::size_t j = 0; j < 3; ++j)
      EXPECT_NEAR(y(0, j), c.expected[j], 1e-15) << j;
  }
}

// da = dy ⊙ g(b) exactly; db checked against finite differences for several batches and widths.
TEST(GatedActivation, GradientsOfBothHalves) {
  for (GateKind kind : {GateKind::kGlu, GateKind::kSwiglu, GateKind::kGeglu}) {
    for (std::size_t half : {1, 5, 17}) {
      GatedActivation<double> layer(kind, 2 * half);
      SCOPED_TRACE(layer.kind() + " h=" + std::to_string(half));
      const auto result = test::check_layer_gradients(layer, {.batch = 3});
      EXPECT_LT(result.max_input_error, 1e-7);
    }
  }
  GatedActivation<double> glu(GateKind::kGlu, 2);
  Matrix<double> x(1, 2), y(1, 1), dy(1, 1), dx(1, 2);
  x(0, 0) = 5.0;  // a
  x(0, 1) = 0.0;  // b: σ(0) = 1/2, σ'(0) = 1/4
  dy(0, 0) = 2.0;
  glu.forward(x.view(), y.view(), {});
  glu.backward(dy.view(), dx.view());
  EXPECT_DOUBLE_EQ(dx(0, 0), 2.0 * 0.5);
  EXPECT_DOUBLE_EQ(dx(0, 1), 2.0 * 5.0 * 0.25);
}

TEST(GatedActivation, OddWidthIsRejected) {
  EXPECT_THROW(GatedActivation<float>(GateKind::kGlu, 7), std::logic_error);
}

// In an MLP the Linear before the gate produces 2h units and the gate gives h to the next Linear.
TEST(GatedActivation, MlpDoublesTheLinearBeforeTheGate) {
  MlpSpec spec;
  spec.inputs = 10;
  spec.hidden = {16, 8};
  spec.outputs = 3;
  spec.activation = {"swiglu", {}};
  Sequential<float> net = build_mlp<float>(spec);
  ASSERT_EQ(net.layer_count(), 5u);
  EXPECT_EQ(net.layer(0).output_size(), 32u);
  EXPECT_EQ(net.layer(1).kind(), "swiglu");
  EXPECT_EQ(net.layer(1).output_size(), 16u);
  EXPECT_EQ(net.layer(2).input_size(), 16u);
  EXPECT_EQ(net.layer(2).output_size(), 16u);
  EXPECT_EQ(net.layer(3).output_size(), 8u);
  EXPECT_EQ(net.output_size(), 3u);
}

}  // namespace
}  // namespace actlab
