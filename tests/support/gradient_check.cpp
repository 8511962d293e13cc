#include "support/gradient_check.hpp"

#include <algorithm>
#include <cmath>

namespace actlab::test {
namespace {

double relative_error(double analytic, double numeric) {
  return std::abs(analytic - numeric) / std::max(1.0, std::abs(numeric));
}

}  // namespace

GradientCheckResult check_layer_gradients(Layer<double>& layer,
                                          const GradientCheckOptions& options) {
  Rng rng(options.seed);
  const std::size_t in = layer.input_size(), out = layer.output_size(), batch = options.batch;

  // Parameters in one flat buffer, as the network would lay them out.
  const auto shapes = layer.parameter_shapes();
  std::size_t total = 0;
  for (const auto& s : shapes)
    total += s.rows * s.cols;
  Matrix<double> params(1, std::max<std::size_t>(total, 1)),
      grads(1, std::max<std::size_t>(total, 1));
  std::vector<MatrixView<double>> value_views, grad_views;
  std::size_t offset = 0;
  for (const auto& s : shapes) {
    value_views.push_back({params.data() + offset, s.rows, s.cols});
    grad_views.push_back({grads.data() + offset, s.rows, s.cols});
    offset += s.rows * s.cols;
  }
  layer.bind_parameters(value_views, grad_views);
  // State (BatchNorm's running statistics): not differentiated, but it must exist.
  std::size_t state_total = 0;
  for (const auto& s : layer.state_shapes())
    state_total += s.rows * s.cols;
  Matrix<double> state(1, std::max<std::size_t>(state_total, 1));
  std::vector<MatrixView<double>> state_views;
  offset = 0;
  for (const auto& s : layer.state_shapes()) {
    state_views.push_back({state.data() + offset, s.rows, s.cols});
    offset += s.rows * s.cols;
  }
  if (!state_views.empty()) layer.bind_state(state_views);
  layer.initialize(rng);
  if (options.prepare) options.prepare(layer, rng);

  Matrix<double> x(batch, in), y(batch, out), weights(batch, out), dx(batch, in);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = options.input(rng);
  for (std::size_t i = 0; i < weights.size(); ++i)
    weights.data()[i] = rng.normal();

  // Each forward in a stochastic layer re-seeds its stream, so that every evaluation of L sees the
  // same random draws.
  auto loss = [&]() {
    Rng pass_rng(options.seed + 1);
    ForwardContext context{options.training, &pass_rng};
    layer.forward(x.view(), y.view(), context);
    double sum = 0;
    for (std::size_t i = 0; i < y.size(); ++i)
      sum += y.data()[i] * weights.data()[i];
    return sum;
  };

  loss();
  grads.fill(0.0);
  layer.backward(weights.view(), dx.view());

  GradientCheckResult result;
  const double h = options.step;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double saved = x.data()[i];
    x.data()[i] = saved + h;
    const double plus = loss();
    x.data()[i] = saved - h;
    const double minus = loss();
    x.data()[i] = saved;
    result.max_input_error =
        std::max(result.max_input_error, relative_error(dx.data()[i], (plus - minus) / (2 * h)));
  }
  for (std::size_t i = 0; i < total; ++i) {
    const double saved = params.data()[i];
    params.data()[i] = saved + h;
    const double plus = loss();
    params.data()[i] = saved - h;
    const double minus = loss();
    params.data()[i] = saved;
    result.max_parameter_error = std::max(
        result.max_parameter_error, relative_error(grads.data()[i], (plus - minus) / (2 * h)));
    ++result.parameters_checked;
  }
  return result;
}

}  // namespace actlab::test
