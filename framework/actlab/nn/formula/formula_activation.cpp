#include "actlab/nn/formula/formula_activation.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <spdlog/spdlog.h>

#include "actlab/core/text.hpp"
#include "actlab/nn/formula/formula_derivative_text.hpp"

namespace actlab {
namespace {

constexpr double kGridLimit = 1000;
constexpr double kDenseLimit = 20;
constexpr double kDenseStep = 0.002;

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out.precision(4);
  out << v;
  return out.str();
}

struct GridValues {
  std::vector<double> x, f, df;
};

GridValues evaluate(const FormulaActivation& a, const std::vector<double>& x) {
  GridValues g;
  g.x = x;
  g.f.resize(x.size());
  g.df.resize(x.size());
  std::vector<double> theta(a.program.learnable_count());
  std::vector<FormulaProgram::ParamInput<double>> inputs;
  for (std::size_t j = 0; j < theta.size(); ++j) {
    const auto& name = a.source.definition.learnable[j];
    for (std::size_t k = 0; k < a.source.definition.params.size(); ++k)
      if (a.source.definition.params[k].first == name) theta[j] = a.values[k];
    inputs.push_back({&theta[j], false});
  }
  a.program.run<double>(x.data(), inputs, g.f.data(), g.df.data(), {}, x.size());
  return g;
}

// The runs of grid points where f' is exactly 0, as "x <= 0", "a <= x <= b", joined. A run counts
// only where it reaches into the dense part: beyond it, f' underflowing to 0 is saturation.
std::string dead_zone_text(const GridValues& g) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < g.x.size();) {
    if (g.df[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i, dense = 0;
    for (; j < g.x.size() && g.df[j] == 0; ++j)
      dense += std::abs(g.x[j]) <= kDenseLimit;
    const std::size_t last = j - 1;
    if (dense >= 2) {  // a single zero is a point where f' crosses 0, not a zone
      const bool from_start = i == 0, to_end = j == g.x.size();
      if (from_start && to_end)
        parts.push_back("everywhere");
      else if (from_start)
        parts.push_back("x <= " + number_text(g.x[last]));
      else if (to_end)
        parts.push_back("x >= " + number_text(g.x[i]));
      else
        parts.push_back(number_text(g.x[i]) + " <= x <= " + number_text(g.x[last]));
    }
    i = j;
  }
  return join(parts, " or ");
}

// The extremes of f over the grid and its limits (f at ±1e12, where a growing f is taken as
// unbounded); closed where reached at a point of [-10, 10] (beyond it a bounded f may round to its
// limit).
std::string range_text(const FormulaActivation& a, const GridValues& g) {
  const GridValues limits = evaluate(a, {-1e12, 1e12});
  double low = kInf, high = -kInf;
  auto limit = [](double v) {
    if (std::isnan(v)) return v;
    if (std::abs(v) >= 1e6) return v > 0 ? kInf : -kInf;
    return std::abs(v) < 1e-9 ? 0.0 : v;
  };
  for (double v : g.f) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
  for (double v : limits.f) {
    const double l = limit(v);
    if (std::isnan(l)) continue;
    low = std::min(low, l);
    high = std::max(high, l);
  }
  bool low_reached = false, high_reached = false;
  for (std::size_t i = 0; i < g.x.size(); ++i) {
    if (std::abs(g.x[i]) > kDenseLimit / 2) continue;
    low_reached = low_reached || g.f[i] == low;
    high_reached = high_reached || g.f[i] == high;
  }
  std::string text = low_reached ? "[" : "(";
  text += number_text(low) + ", " + number_text(high);
  text += high_reached ? "]" : ")";
  return text;
}

ActivationProperties derive_properties(const FormulaActivation& a, const GridValues& g,
                                       std::string& output_range, std::string& dead_zone) {
  ActivationProperties p;
  output_range = range_text(a, g);
  dead_zone = dead_zone_text(g);
  double max_slope = 0;
  bool rising = true, falling = true;
  for (double d : g.df) {
    max_slope = std::max(max_slope, std::abs(d));
    rising = rising && d >= 0;
    falling = falling && d <= 0;
  }
  p.monotonic = rising || falling;
  const double threshold = 1e-6 * max_slope;
  const bool negative = std::abs(g.df.front()) <= threshold;
  const bool positive = std::abs(g.df.back()) <= threshold;
  p.saturates = negative && positive ? Saturation::kBoth
                : negative           ? Saturation::kNegative
                : positive           ? Saturation::kPositive
                                     : Saturation::kNone;
  bool below = false, above = false;
  for (double f : g.f) {
    below = below || f < 0;
    above = above || f > 0;
  }
  const GridValues zero = evaluate(a, {0.0});
  p.zero_centred = std::abs(zero.f[0]) <= 1e-12 && below && above;
  double jump = 0;
  for (std::size_t i = 1; i < g.x.size(); ++i)
    if (std::abs(g.x[i]) <= kDenseLimit && g.x[i] - g.x[i - 1] <= kDenseStep * 1.5)
      jump = std::max(jump, std::abs(g.df[i] - g.df[i - 1]));
  p.smooth = jump <= 0.05 * (1 + max_slope);
  return p;
}

// f and f' finite on the grid, f' equal to central differences away from kinks.
void check_on_grid(const FormulaActivation& a, const GridValues& g) {
  for (std::size_t i = 0; i < g.x.size(); ++i) {
    if (!std::isfinite(g.f[i]))
      throw FormulaError("f is not finite at x = " + number_text(g.x[i]) + " (f = " +
                             number_text(g.f[i]) + "); it must be finite on [-1000, 1000]",
                         0);
    if (!std::isfinite(g.df[i]))
      throw FormulaError("f' is not finite at x = " + number_text(g.x[i]) + " (f' = " +
                             number_text(g.df[i]) + "); it must be finite on [-1000, 1000]",
                         0);
  }
  // Points off any round number (kinks sit at round numbers), over the dense part.
  std::vector<double> points;
  for (double x = -kDenseLimit + 0.0123456789; x < kDenseLimit; x += 0.0987654321)
    points.push_back(x);
  std::vector<double> around;
  for (double x : points) {
    const double h = 1e-6 * std::max(1.0, std::abs(x));
    around.insert(around.end(), {x - h, x + h});
  }
  const GridValues at = evaluate(a, points);
  const GridValues near = evaluate(a, around);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double h = near.x[2 * i + 1] - points[i];
    const double difference = (near.f[2 * i + 1] - near.f[2 * i]) / (2 * h);
    const double exact = at.df[i];
    const double tolerance = 1e-4 * (1 + std::abs(exact));
    const bool kink = std::abs(near.df[2 * i + 1] - near.df[2 * i]) > tolerance;
    if (!kink && std::abs(difference - exact) > tolerance)
      throw FormulaError("f' disagrees with finite differences at x = " + number_text(points[i]) +
                             ": exact " + number_text(exact) + ", float64 central difference " +
                             number_text(difference),
                         0);
  }
}

}  // namespace

std::vector<double> formula_check_grid() {
  std::vector<double> grid;
  // Geometric out to the limits, then the dense middle.
  for (double x = kGridLimit; x > kDenseLimit * 1.01; x /= 1.05)
    grid.push_back(-x);
  const auto steps = static_cast<long>(std::lround(2 * kDenseLimit / kDenseStep));
  for (long i = 0; i <= steps; ++i)
    grid.push_back(-kDenseLimit + static_cast<double>(i) * kDenseStep);
  for (std::size_t i = grid.size() - steps - 1; i-- > 0;)
    grid.push_back(-grid[i]);
  // Round the dense points so that 0 and the integers are on the grid exactly.
  for (double& x : grid)
    if (std::abs(x) <= kDenseLimit) x = std::round(x / kDenseStep) * kDenseStep;
  return grid;
}

std::vector<double> formula_param_values(
    const FormulaDefinition& definition,
    const std::vector<std::pair<std::string, double>>& overrides) {
  std::vector<double> values;
  std::vector<std::string> names;
  for (const auto& [name, value] : definition.params) {
    values.push_back(value);
    names.push_back(name);
  }
  for (const auto& [key, value] : overrides) {
    const auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end()) {
      const std::string label =
          definition.name.empty() ? "the formula" : "'" + definition.name + "'";
      if (names.empty())
        throw ConfigError("activation " + label + " has no parameters, got '" + key + "'");
      std::string message = "activation " + label + " has no parameter '" + key + "'";
      if (auto near = nearest_name(key, names)) message += " (did you mean '" + *near + "'?)";
      throw ConfigError(message + "; valid: " + join(names, ", "));
    }
    if (!std::isfinite(value)) throw ConfigError("parameter '" + key + "' must be a finite number");
    values[static_cast<std::size_t>(it - names.begin())] = value;
  }
  return values;
}

std::shared_ptr<const FormulaActivation> make_formula_activation(
    const FormulaSource& source, const std::vector<double>& values) {
  auto a = std::make_shared<FormulaActivation>();
  a->source = source;
  a->values = values;
  a->program = FormulaProgram::compile(source.definition, values, source.library);
  const GridValues grid = evaluate(*a, formula_check_grid());
  try {
    check_on_grid(*a, grid);
  } catch (const FormulaError& e) {
    if (!source.definition.check_warns) throw;
    spdlog::warn("activation '{}' (check: warn): {}", source.definition.name, e.what());
  }
  ActivationProperties properties = derive_properties(*a, grid, a->output_range, a->dead_zone);
  properties.output_range = a->output_range;
  properties.dead_zone = a->dead_zone;
  a->formula_text = source.definition.formula;
  a->derivative_text = formula_derivative_text(*parse_formula(source.definition.formula)) +
                       "  (values: forward-mode automatic differentiation)";
  const auto& definition = a->source.definition;  // the views below point into a, not source
  a->param_meanings.reserve(definition.params.size());
  for (std::size_t k = 0; k < definition.params.size(); ++k) {
    const bool learned = std::find(definition.learnable.begin(), definition.learnable.end(),
                                   definition.params[k].first) != definition.learnable.end();
    a->param_meanings.push_back(
        learned ? (definition.per_unit ? "learned per unit" : "learned per layer")
                : "formula parameter");
  }
  for (std::size_t k = 0; k < definition.params.size(); ++k)
    a->param_specs.push_back({.name = definition.params[k].first,
                              .default_value = values[k],
                              .meaning = a->param_meanings[k]});
  ActivationInfo& info = a->info;
  info.name =
      definition.name.empty() ? std::string_view("formula") : std::string_view(definition.name);
  info.formula = a->formula_text;
  info.derivative = a->derivative_text;
  info.params = a->param_specs;
  info.properties = properties;
  return a;
}

// ---------------------------------------------------------------------------------------------
// The layer.

template <typename T>
FormulaActivationLayer<T>::FormulaActivationLayer(
    std::shared_ptr<const FormulaActivation> activation, std::size_t width)
    : activation_(std::move(activation)), width_(width) {}

template <typename T>
std::vector<ParameterShape> FormulaActivationLayer<T>::parameter_shapes() const {
  std::vector<ParameterShape> shapes;
  const auto& definition = activation_->source.definition;
  for (const auto& name : definition.learnable)
    shapes.push_back({name, 1, definition.per_unit ? width_ : 1});
  return shapes;
}

template <typename T>
void FormulaActivationLayer<T>::bind_parameters(std::span<const MatrixView<T>> values,
                                                std::span<const MatrixView<T>> grads) {
  values_.assign(values.begin(), values.end());
  grads_.assign(grads.begin(), grads.end());
}

template <typename T>
void FormulaActivationLayer<T>::initialize(Rng&) {
  const auto& definition = activation_->source.definition;
  for (std::size_t j = 0; j < definition.learnable.size(); ++j)
    for (std::size_t k = 0; k < definition.params.size(); ++k)
      if (definition.params[k].first == definition.learnable[j])
        values_[j].fill_with(static_cast<T>(activation_->values[k]));
}

template <typename T>
void FormulaActivationLayer<T>::run_rows(MatrixView<const T> x, MatrixView<T> y, T* d,
                                         std::size_t first, std::size_t last) const {
  const FormulaProgram& program = activation_->program;
  if (learnable() == 0) {
    const std::size_t offset = first * x.cols;
    program.run<T>(x.data + offset, {}, y.data + offset, d ? d + offset : nullptr, {},
                   (last - first) * x.cols);
    return;
  }
  const bool per_unit = activation_->source.definition.per_unit;
  std::vector<typename FormulaProgram::ParamInput<T>> inputs;
  for (const auto& v : values_)
    inputs.push_back({v.data, per_unit});
  std::vector<T*> slopes(learnable());
  for (std::size_t r = first; r < last; ++r) {
    const std::size_t offset = r * x.cols;
    std::span<T* const> dparam;
    if (d != nullptr) {
      for (std::size_t j = 0; j < slopes.size(); ++j)
        slopes[j] = const_cast<T*>(param_slopes_[j].data()) + offset;
      dparam = slopes;
    }
    program.run<T>(x.data + offset, inputs, y.data + offset, d ? d + offset : nullptr, dparam,
                   x.cols);
  }
}

template <typename T>
void FormulaActivationLayer<T>::forward(MatrixView<const T> x, MatrixView<T> y,
                                        const ForwardContext& context) {
  x_ = x;
  team_ = context.team;
  has_derivative_ = context.training;
  T* d = nullptr;
  if (has_derivative_) {
    derivative_.resize(x.rows, x.cols);
    d = derivative_.data();
    param_slopes_.resize(learnable());
    for (auto& slopes : param_slopes_)
      slopes.resize(x.rows, x.cols);
  }
  if (learnable() != 0) {
    run_rows(x, y, d, 0, x.rows);
    return;
  }
  parallel_for(team_, x.size(), kElementsPerPart, 16,
               [&](std::size_t, std::size_t begin, std::size_t end) {
                 activation_->program.run<T>(x.data + begin, {}, y.data + begin,
                                             d ? d + begin : nullptr, {}, end - begin);
               });
}

template <typename T>
void FormulaActivationLayer<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  if (!has_derivative_) {  // backward after an evaluation forward: f' afresh
    derivative_.resize(x_.rows, x_.cols);
    Matrix<T> y(x_.rows, x_.cols);
    param_slopes_.resize(learnable());
    for (auto& slopes : param_slopes_)
      slopes.resize(x_.rows, x_.cols);
    run_rows(x_, y.view(), derivative_.data(), 0, x_.rows);
    has_derivative_ = true;
  }
  const T* __restrict d = derivative_.data();
  if (dx.data != nullptr) {
    T* __restrict out = dx.data;
    const T* __restrict g = dy.data;
    parallel_for(team_, dy.size(), kElementsPerPart, 16,
                 [&](std::size_t, std::size_t begin, std::size_t end) {
#pragma omp simd
                   for (std::size_t i = begin; i < end; ++i)
                     out[i] = g[i] * d[i];
                 });
  }
  const bool per_unit = activation_->source.definition.per_unit;
  for (std::size_t j = 0; j < learnable(); ++j) {
    T* __restrict dtheta = grads_[j].data;
    const T* __restrict s = param_slopes_[j].data();
    for (std::size_t r = 0; r < dy.rows; ++r) {
      const T* __restrict g = dy.row(r);
      const T* __restrict sr = s + r * dy.cols;
      if (per_unit) {
        for (std::size_t c = 0; c < dy.cols; ++c)
          dtheta[c] += g[c] * sr[c];
      } else {
        T sum = 0;
#pragma omp simd reduction(+ : sum)
        for (std::size_t c = 0; c < dy.cols; ++c)
          sum += g[c] * sr[c];
        dtheta[0] += sum;
      }
    }
  }
}

template <typename T>
bool FormulaActivationLayer<T>::elementwise_derivative(MatrixView<const T> x, MatrixView<T> y,
                                                       MatrixView<T> dydx) const {
  if (learnable() == 0) {
    activation_->program.run<T>(x.data, {}, y.data, dydx.data, {}, x.size());
    return true;
  }
  const bool per_unit = activation_->source.definition.per_unit;
  std::vector<typename FormulaProgram::ParamInput<T>> inputs;
  for (const auto& v : values_)
    inputs.push_back({v.data, per_unit});
  for (std::size_t r = 0; r < x.rows; ++r)
    activation_->program.run<T>(x.row(r), inputs, y.row(r), dydx.row(r), {}, x.cols);
  return true;
}

template <typename T>
void FormulaActivationLayer<T>::begin_rows(MatrixView<const T> x, MatrixView<T>,
                                           const ForwardContext& context) {
  x_ = x;
  team_ = nullptr;
  has_derivative_ = context.training;
  if (has_derivative_) derivative_.resize(x.rows, x.cols);
}

template <typename T>
void FormulaActivationLayer<T>::forward_rows(MatrixView<const T> x, MatrixView<T> y,
                                             std::size_t first, std::size_t last) {
  run_rows(x, y, has_derivative_ ? derivative_.data() : nullptr, first, last);
}

template <typename T>
void FormulaActivationLayer<T>::backward_rows(MatrixView<const T> dy, MatrixView<const T>,
                                              MatrixView<T> dx, std::span<const MatrixView<T>>,
                                              std::size_t first, std::size_t last) {
  if (dx.data == nullptr) return;
  const std::size_t offset = first * dy.cols, n = (last - first) * dy.cols;
  const T* __restrict d = derivative_.data() + offset;
  const T* __restrict g = dy.data + offset;
  T* __restrict out = dx.data + offset;
#pragma omp simd
  for (std::size_t i = 0; i < n; ++i)
    out[i] = g[i] * d[i];
}

template class FormulaActivationLayer<float>;
template class FormulaActivationLayer<double>;

}  // namespace actlab
