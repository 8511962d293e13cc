// Generic tests over the whole activation registry: every registered activation is checked against
// PyTorch's values, finite differences, extreme inputs and its declared properties without a test
// of its own. The specific tests at the end cover learnable parameters in a real training loop and
// three wrong derivative formulas that circulate in study notes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "actlab/core/error.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/activation_functions.hpp"
#include "actlab/nn/linear.hpp"
#include "actlab/nn/sequential.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "support/golden.hpp"
#include "support/gradient_check.hpp"

namespace actlab {
namespace {

// Golden rows name a few activations by their evaluation-mode variant.
std::string registry_name(const std::string& golden_name) {
  if (golden_name == "rrelu_eval") return "rrelu";
  return golden_name;
}

ActivationConfig config_for(const std::string& name, const std::map<std::string, double>& params) {
  ActivationConfig config{name, {}};
  for (const auto& [key, value] : params)
    config.params.emplace_back(key, value);
  return config;
}

// A layer with its parameters (if any) bound to buffers of its own and initialised.
template <typename T>
struct BoundLayer {
  std::unique_ptr<Layer<T>> layer;
  Matrix<T> params, grads;

  BoundLayer(const ActivationConfig& config, std::size_t width)
      : layer(make_activation_layer<T>(config, width)) {
    std::size_t total = 0;
    for (const auto& s : layer->parameter_shapes())
      total += s.rows * s.cols;
    params.resize(1, std::max<std::size_t>(total, 1));
    grads.resize(1, std::max<std::size_t>(total, 1));
    std::vector<MatrixView<T>> values, gradients;
    std::size_t offset = 0;
    for (const auto& s : layer->parameter_shapes()) {
      values.push_back({params.data() + offset, s.rows, s.cols});
      gradients.push_back({grads.data() + offset, s.rows, s.cols});
      offset += s.rows * s.cols;
    }
    layer->bind_parameters(values, gradients);
    Rng rng(3);
    layer->initialize(rng);
  }
};

// f(x) and f'(x) (dy = 1) for a row of inputs, through the layer's own loops.
template <typename T>
void evaluate(BoundLayer<T>& bound, const std::vector<T>& x, std::vector<T>& y,
              std::vector<T>& dydx, const ForwardContext& context = {}) {
  const std::size_t n = x.size();
  Matrix<T> in(1, n), out(1, bound.layer->output_size()), dy(1, bound.layer->output_size()),
      dx(1, n);
  std::copy(x.begin(), x.end(), in.data());
  dy.fill(T{1});
  bound.layer->forward(in.view(), out.view(), context);
  bound.layer->backward(dy.view(), dx.view());
  y.assign(out.data(), out.data() + out.size());
  dydx.assign(dx.data(), dx.data() + dx.size());
}

// float32 against PyTorch's float64: |got - want| <= kRel |want| + a floor far below the values
// that matter, so that relu(1e-6) = 0 or leaky_relu(-1e-6) = +1e-8 fails.
// kRel is ~170 float32 ulps: the vector maths functions are accurate to a few ulps, and rounding x
// to float32 moves f(x) by up to |x f'(x) / f(x)| ulps (≈ 100 for softplus at x = -100).
// kValueFloor, for f(x): 1e-15 is 7 orders below the 1e-8 above, and above the reference's own
// error where float64 cancels: PyTorch computes gelu as x (1 + erf(x/√2)) / 2 and gelu_tanh as
// x (1 + tanh(u)) / 2, which give -0 at x = -10 where the true values are -7.6e-23 and -1.2e-37
// (and float32 holds nothing below 1.4e-45 anyway).
// kSlopeFloor, for f'(x): one float32 ulp of 1. sigmoid's and tanh's slopes are computed from y
// (y (1 - y), 1 - y², as PyTorch's own float32 kernels do), so where y is near 1 they carry y's
// rounding, up to ~6e-8; gelu_tanh's and gelu_sigmoid's slopes cross 0 near x = -0.75 as a
// difference of terms ≈ 0.2. A gate's ∂y/∂b = a g'(b) scales it by |a|.
constexpr double kRel = 2e-5;
constexpr double kValueFloor = 1e-15;
constexpr double kSlopeFloor = std::numeric_limits<float>::epsilon();

void expect_close(float got, double want, double floor, const char* what) {
  EXPECT_NEAR(got, want, floor + kRel * std::abs(want)) << what;
}

// Every row of every activation in the golden file, evaluated twice: all x of one (activation,
// params) group in one buffer, padded to a multiple of 64 so that the vectorised loop body computes
// every value, and each x alone in a layer of width 1 (the scalar remainder loop).
TEST(Activations, MatchPyTorchGoldenValuesInFloat32) {
  const test::CsvTable table = test::read_golden_csv("activations.csv");
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    groups[{table.at(r, "name"), table.at(r, "params")}].push_back(r);

  const auto names = activation_names();
  std::size_t rows_checked = 0;
  for (const auto& [key, rows] : groups) {
    const std::string name = registry_name(key.first);
    ASSERT_NE(std::find(names.begin(), names.end(), name), names.end())
        << "golden activation '" << key.first << "' is not registered";
    const ActivationConfig config = config_for(name, test::parse_params(key.second));

    std::vector<float> x;
    for (std::size_t r : rows)
      x.push_back(static_cast<float>(test::parse_number(table.at(r, "x"))));
    std::vector<float> padded = x;
    while (padded.size() % 64 != 0)
      padded.push_back(x[padded.size() % x.size()]);
    BoundLayer<float> vector_layer(config, padded.size());
    std::vector<float> y_vector, dy_vector;
    evaluate(vector_layer, padded, y_vector, dy_vector);

    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::size_t r = rows[i];
      const double want_y = test::parse_number(table.at(r, "y"));
      const double want_dy = test::parse_number(table.at(r, "dy_dx"));
      SCOPED_TRACE(key.first + " " + key.second + " x=" + table.at(r, "x"));
      BoundLayer<float> scalar_layer(config, 1);
      std::vector<float> y_scalar, dy_scalar;
      evaluate(scalar_layer, {x[i]}, y_scalar, dy_scalar);
      for (auto [y, dy] : {std::pair{y_vector[i], dy_vector[i]}, {y_scalar[0], dy_scalar[0]}}) {
        expect_close(y, want_y, kValueFloor, "y");
        // NaN marks a kink
        if (!std::isnan(want_dy)) expect_close(dy, want_dy, kSlopeFloor, "dy/dx");
      }
      ++rows_checked;
    }
  }
  EXPECT_EQ(rows_checked, table.rows.size());
  EXPECT_GT(rows_checked, 2100u);
}

// glu, swiglu and geglu: y = a g(b) and both halves of the input gradient (dy = 1), all rows of one
// gate in one layer of width h = rows (x = [a | b]), and each row alone (h = 1).
TEST(Activations, GatedMatchPyTorchGoldenValuesInFloat32) {
  const test::CsvTable table = test::read_golden_csv("gated_activations.csv");
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    groups[table.at(r, "name")].push_back(r);
  auto value = [&](std::size_t r, const char* column) {
    return test::parse_number(table.at(r, column));
  };
  for (const auto& [name, rows] : groups) {
    const ActivationConfig config{name, {}};
    ASSERT_EQ(find_activation(name).width_multiplier, 2u) << name;
    const std::size_t h = rows.size();
    std::vector<float> x(2 * h);
    for (std::size_t i = 0; i < h; ++i) {
      x[i] = static_cast<float>(value(rows[i], "a"));
      x[h + i] = static_cast<float>(value(rows[i], "b"));
    }
    BoundLayer<float> wide(config, 2 * h);
    std::vector<float> y, dx;
    evaluate(wide, x, y, dx);
    for (std::size_t i = 0; i < h; ++i) {
      const std::size_t r = rows[i];
      SCOPED_TRACE(name + " a=" + table.at(r, "a") + " b=" + table.at(r, "b"));
      BoundLayer<float> single(config, 2);
      std::vector<float> y1, dx1;
      evaluate(single, {x[i], x[h + i]}, y1, dx1);
      for (auto [got_y, got_da, got_db] :
           {std::tuple{y[i], dx[i], dx[h + i]}, std::tuple{y1[0], dx1[0], dx1[1]}}) {
        expect_close(got_y, value(r, "y"), kValueFloor, "y");
        expect_close(got_da, value(r, "dy_da"), kValueFloor, "dy/da");  // g(b)
        expect_close(got_db, value(r, "dy_db"),
                     kSlopeFloor * std::max(1.0, std::abs(value(r, "a"))), "dy/db");
      }
    }
  }
  EXPECT_EQ(groups.size(), 3u);
}

// Activations that have no golden rows, with the reason. Every other registered activation must
// have rows in activations.csv or gated_activations.csv, so a new one fails here until it gets
// PyTorch reference values or an entry with its reason.
const std::map<std::string, std::string>& exempt_from_goldens() {
  static const std::map<std::string, std::string> exempt{
      {"gumbel_softmax",
       "random: a training output is a sample with Gumbel noise, which PyTorch cannot reproduce "
       "from actlab's random stream; gumbel_softmax_test checks the samples' distribution and "
       "the noiseless evaluation instead"},
  };
  return exempt;
}

TEST(Activations, EveryRegisteredActivationHasGoldenRowsOrAReasonWhyNot) {
  std::set<std::string> with_rows;
  for (const char* file : {"activations.csv", "gated_activations.csv"}) {
    const test::CsvTable table = test::read_golden_csv(file);
    for (std::size_t r = 0; r < table.rows.size(); ++r)
      with_rows.insert(registry_name(table.at(r, "name")));
  }
  for (const ActivationInfo& info : activation_registry()) {
    const std::string name(info.name);
    const auto exempt = exempt_from_goldens().find(name);
    if (exempt == exempt_from_goldens().end()) {
      EXPECT_TRUE(with_rows.count(name))
          << "activation '" << name
          << "' has no PyTorch golden rows: add them to tests/golden/ (see its README), or list it "
             "in exempt_from_goldens() with the reason";
    } else {
      EXPECT_FALSE(with_rows.count(name)) << name << " has golden rows: it is no longer exempt";
      EXPECT_FALSE(exempt->second.empty()) << name;
    }
  }
  const auto names = activation_names();
  for (const auto& [name, reason] : exempt_from_goldens())
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end())
        << "exempt activation '" << name << "' is not registered";
}

// The configurations each activation is checked in: its defaults, and with its learnable
// parameter switched on, shared and per unit.
std::vector<ActivationConfig> configurations(const ActivationInfo& info) {
  std::vector<ActivationConfig> configs{{std::string(info.name), {}}};
  const LearnableParam& l = info.learnable;
  if (l.param < 0) return configs;
  ActivationConfig learned{std::string(info.name), {}};
  if (l.enabled_by >= 0) learned.params.emplace_back(info.params[l.enabled_by].name, 1.0);
  if (l.enabled_by >= 0) configs.push_back(learned);
  if (l.per_unit_flag >= 0) {
    learned.params.emplace_back(info.params[l.per_unit_flag].name, 1.0);
    configs.push_back(learned);
  }
  return configs;
}

// Whether the config sets the bool parameter with this index (-1: none) to 1.
bool switched_on(const ActivationConfig& config, const ActivationInfo& info, int index) {
  if (index < 0) return false;
  return std::any_of(config.params.begin(), config.params.end(), [&](const auto& kv) {
    return kv.first == info.params[index].name && kv.second == 1.0;
  });
}

std::string describe(const ActivationConfig& config) {
  std::string text = config.name;
  for (const auto& [key, value] : config.params)
    text += " " + key + "=" + std::to_string(value);
  return text;
}

class EveryActivation : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryActivation, FiniteDifferenceGradientsInFloat64) {
  const ActivationInfo& info = find_activation(GetParam());
  for (const ActivationConfig& config : configurations(info)) {
    SCOPED_TRACE(describe(config));
    auto layer = make_activation_layer<double>(config, 6 * info.width_multiplier);
    // Inputs avoid the kinks at 0, ±1, ±3, 6 (within h of a kink the difference quotient is wrong).
    test::GradientCheckOptions options;
    options.batch = 4;
    options.input = [](Rng& rng) {
      for (;;) {
        const double v = rng.uniform(-7.0, 7.0);
        const double kinks[] = {0, 1, -1, 3, -3, 6};
        bool near = false;
        for (double k : kinks)
          near |= std::abs(v - k) < 1e-3;
        if (!near) return v;
      }
    };
    // A learned parameter is checked too: one value shared, or one per unit.
    const LearnableParam& l = info.learnable;
    const bool learned =
        l.param >= 0 && (l.enabled_by < 0 || switched_on(config, info, l.enabled_by));
    const std::size_t expected_parameters =
        !learned ? 0 : (switched_on(config, info, l.per_unit_flag) ? 6 : 1);
    for (bool training : {false, true}) {
      options.training = training;
      const auto result = test::check_layer_gradients(*layer, options);
      EXPECT_LT(result.max_input_error, 1e-6) << "training=" << training;
      EXPECT_LT(result.max_parameter_error, 1e-6) << "training=" << training;
      EXPECT_EQ(result.parameters_checked, expected_parameters);
    }
  }
}

TEST_P(EveryActivation, FiniteAndNotNaNOverTheWholeFloatRangeThatMatters) {
  const ActivationInfo& info = find_activation(GetParam());
  const std::size_t n = 20001;
  for (const ActivationConfig& config : configurations(info)) {
    for (bool training : {false, true}) {
      SCOPED_TRACE(describe(config) + (training ? " training" : " evaluation"));
      BoundLayer<float> bound(config, n * info.width_multiplier);
      std::vector<float> x(n * info.width_multiplier), y, dx;
      for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = -1e4f + 2e4f * static_cast<float>(i % n) / static_cast<float>(n - 1);
      Rng rng(1);
      evaluate(bound, x, y, dx, {.training = training, .rng = &rng});
      for (std::size_t i = 0; i < y.size(); ++i)
        ASSERT_TRUE(std::isfinite(y[i])) << i;
      for (std::size_t i = 0; i < dx.size(); ++i)
        ASSERT_TRUE(std::isfinite(dx[i])) << i;
      for (std::size_t i = 0; i < bound.grads.size(); ++i)
        ASSERT_TRUE(std::isfinite(bound.grads.data()[i])) << i;
    }
  }
}

// The configurations above plus each real parameter pushed to either end of its range (an infinite
// end replaced by 10× the default, an open 0 by a tenth of it), skipping combinations that break a
// constraint between parameters (rrelu: lower <= upper).
std::vector<ActivationConfig> stressed_configurations(const ActivationInfo& info) {
  std::vector<ActivationConfig> configs = configurations(info);
  for (const ActivationParamSpec& spec : info.params) {
    if (spec.kind != ParamKind::kReal) continue;
    const double scale = spec.default_value != 0 ? spec.default_value : 1.0;
    const double low = std::isinf(spec.min) || spec.min_open ? scale / 10 : spec.min;
    const double high = std::isinf(spec.max) || spec.max_open ? scale * 10 : spec.max;
    for (double value : {low, high}) {
      ActivationConfig config{std::string(info.name), {{std::string(spec.name), value}}};
      try {
        resolve_activation_params(info, config);
        configs.push_back(config);
      } catch (const ConfigError&) {
      }
    }
  }
  return configs;
}

// Beyond ±1e4 a result may legitimately overflow (selu(FLT_MAX) > FLT_MAX), but no input, from the
// smallest subnormal to FLT_MAX, may produce a NaN: no inf - inf, 0·inf or inf/inf inside a rule.
TEST_P(EveryActivation, NoNaNForAnyFloatInput) {
  const ActivationInfo& info = find_activation(GetParam());
  std::vector<float> magnitudes{0.0f, std::numeric_limits<float>::denorm_min(),
                                std::numeric_limits<float>::min(),
                                std::numeric_limits<float>::max()};
  for (float m = 1e-38f; m < 1e38f; m *= 3.7f)
    magnitudes.push_back(m);
  std::vector<float> values;
  for (float m : magnitudes) {
    values.push_back(m);
    values.push_back(-m);
  }
  for (const ActivationConfig& config : stressed_configurations(info)) {
    for (bool training : {false, true}) {
      SCOPED_TRACE(describe(config) + (training ? " training" : " evaluation"));
      BoundLayer<float> bound(config, values.size() * info.width_multiplier);
      std::vector<float> x, y, dx;
      for (std::size_t k = 0; k < info.width_multiplier; ++k) {
        // The second half (a gate's b) in reverse order, so that every a meets many b.
        if (k == 0)
          x.insert(x.end(), values.begin(), values.end());
        else
          x.insert(x.end(), values.rbegin(), values.rend());
      }
      Rng rng(2);
      evaluate(bound, x, y, dx, {.training = training, .rng = &rng});
      for (std::size_t i = 0; i < y.size(); ++i)
        ASSERT_FALSE(std::isnan(y[i])) << "x=" << x[i];
      for (std::size_t i = 0; i < dx.size(); ++i)
        ASSERT_FALSE(std::isnan(dx[i])) << "x=" << x[i];
      for (std::size_t i = 0; i < bound.grads.size(); ++i)
        ASSERT_FALSE(std::isnan(bound.grads.data()[i]));
    }
  }
}

// The declared properties agree with the function (float64, evaluation mode, on a grid over
// [-10, 10] and at ±1e4). Checked for the activations whose output unit depends on its input unit
// alone; the gated and sampled ones describe their gate.
class EveryElementwiseActivation : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryElementwiseActivation, DeclaredPropertiesHoldOnAGrid) {
  const ActivationInfo& info = find_activation(GetParam());
  std::vector<double> x{0.0};
  for (int i = -4000; i <= 4000; ++i)
    if (i != 0) x.push_back(i / 400.0 + 1e-7);  // off the kinks at integers
  const std::size_t tail = x.size();
  x.push_back(-1e4);
  x.push_back(1e4);
  BoundLayer<double> bound({std::string(info.name), {}}, x.size());
  std::vector<double> y, dy;
  evaluate(bound, x, y, dy);
  const ActivationProperties& p = info.properties;

  bool decreasing = false, both_signs_out = false, exact_zero_slope = false;
  bool has_negative = false, has_positive = false;
  for (std::size_t i = 1; i < tail; ++i) {
    decreasing |= dy[i] < 0;
    has_negative |= y[i] < 0;
    has_positive |= y[i] > 0;
    exact_zero_slope |= dy[i] == 0;
  }
  both_signs_out = has_negative && has_positive;
  EXPECT_EQ(p.monotonic, !decreasing);
  EXPECT_EQ(p.zero_centred, y[0] == 0 && both_signs_out);
  EXPECT_EQ(!p.dead_zone.empty(), exact_zero_slope) << "dead zone '" << p.dead_zone << "'";
  const bool flat_left = std::abs(dy[tail]) < 1e-6, flat_right = std::abs(dy[tail + 1]) < 1e-6;
  const bool declared_left =
      p.saturates == Saturation::kNegative || p.saturates == Saturation::kBoth;
  const bool declared_right =
      p.saturates == Saturation::kPositive || p.saturates == Saturation::kBoth;
  EXPECT_EQ(declared_left, flat_left);
  EXPECT_EQ(declared_right, flat_right);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryActivation, ::testing::ValuesIn(activation_names()),
                         [](const auto& param_info) { return param_info.param; });

std::vector<std::string> elementwise_activation_names() {
  std::vector<std::string> names;
  for (const auto& info : activation_registry())
    if (info.elementwise) names.emplace_back(info.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryElementwiseActivation,
                         ::testing::ValuesIn(elementwise_activation_names()),
                         [](const auto& param_info) { return param_info.param; });

float value_at(const std::string& name, float x) {
  BoundLayer<float> bound({name, {}}, 1);
  std::vector<float> y, dy;
  evaluate(bound, {x}, y, dy);
  return y[0];
}

TEST(Activations, ExactLimitsAtExtremeInputs) {
  EXPECT_EQ(value_at("sigmoid", -1000.0f), 0.0f);
  EXPECT_EQ(value_at("sigmoid", 1000.0f), 1.0f);
  EXPECT_EQ(value_at("tanh", -1000.0f), -1.0f);
  EXPECT_EQ(value_at("softplus", 1000.0f), 1000.0f);
  EXPECT_EQ(value_at("softplus", -1000.0f), 0.0f);
  EXPECT_EQ(value_at("mish", -1000.0f), 0.0f);
  EXPECT_TRUE(std::signbit(value_at("mish", -1000.0f)));  // -0, as x · tanh(softplus(x)) = x · 0
  EXPECT_EQ(value_at("mish", 1000.0f), 1000.0f);
  EXPECT_EQ(value_at("logsigmoid", -1000.0f), -1000.0f);
  EXPECT_EQ(value_at("gelu", -1000.0f), 0.0f);
  EXPECT_EQ(value_at("elu", -1000.0f), -1.0f);
  EXPECT_EQ(value_at("identity", std::numeric_limits<float>::max()),
            std::numeric_limits<float>::max());
  EXPECT_EQ(value_at("hardswish", std::numeric_limits<float>::max()),
            std::numeric_limits<float>::max());
}

TEST(Activations, UnknownNameListsValidOnesAndSuggestsTheNearest) {
  try {
    find_activation("rleu");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'relu'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tanh"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("gumbel_softmax"), std::string::npos);
  }
  try {
    find_activation("softmax");
    FAIL() << "softmax must not be offered as a hidden activation";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("fused into the loss"), std::string::npos) << e.what();
  }
}

TEST(Activations, ParametersAreCheckedAgainstTheirRanges) {
  EXPECT_THROW(make_activation_layer<float>({"leaky_relu", {{"alpha", -0.5}}}, 4), ConfigError);
  EXPECT_THROW(make_activation_layer<float>({"leaky_relu", {{"slope", 0.1}}}, 4), ConfigError);
  EXPECT_THROW(make_activation_layer<float>({"relu", {{"alpha", 0.1}}}, 4), ConfigError);
  EXPECT_THROW(make_activation_layer<float>({"celu", {{"alpha", 0.0}}}, 4), ConfigError);
  EXPECT_THROW(make_activation_layer<float>({"swish", {{"learnable", 0.5}}}, 4), ConfigError);
  EXPECT_THROW(make_activation_layer<float>({"rrelu", {{"lower", 0.5}, {"upper", 0.2}}}, 4),
               ConfigError);
  EXPECT_NO_THROW(make_activation_layer<float>({"rrelu", {{"lower", 0.2}, {"upper", 0.2}}}, 4));
  // PyTorch's hardtanh needs max_val > min_val: an empty linear region is refused.
  EXPECT_THROW(make_activation_layer<float>({"hardtanh", {{"min_val", 1.0}}}, 4), ConfigError);
  EXPECT_THROW(make_activation_layer<float>({"hardtanh", {{"min_val", 0.5}, {"max_val", -2.0}}}, 4),
               ConfigError);
  EXPECT_NO_THROW(
      make_activation_layer<float>({"hardtanh", {{"min_val", -2.0}, {"max_val", 0.5}}}, 4));
}

// Every registry entry is complete: text for the table, parameters with defaults in range, a
// builder for both precisions; the gated family doubles the width.
TEST(Activations, RegistryEntriesAreComplete) {
  std::set<std::string> seen;
  for (const ActivationInfo& info : activation_registry()) {
    SCOPED_TRACE(std::string(info.name));
    EXPECT_TRUE(seen.insert(std::string(info.name)).second) << "duplicate name";
    EXPECT_FALSE(info.formula.empty());
    EXPECT_FALSE(info.derivative.empty());
    EXPECT_FALSE(info.properties.output_range.empty());
    EXPECT_TRUE(info.make_float && info.make_double);
    for (const auto& spec : info.params) {
      EXPECT_GE(spec.default_value, spec.min);
      EXPECT_LE(spec.default_value, spec.max);
      EXPECT_FALSE(spec.meaning.empty()) << spec.name;
    }
    auto layer =
        make_activation_layer<float>({std::string(info.name), {}}, 8 * info.width_multiplier);
    EXPECT_EQ(layer->input_size(), 8 * info.width_multiplier);
    EXPECT_EQ(layer->output_size(), 8u);
  }
}

// ---- Learnable parameters in a real training loop ----------------------------------------------

// Linear(4, 8) → activation → Linear(8, 3), trained by plain SGD on the fused softmax
// cross-entropy over random data. Returns the network after `steps` steps.
Sequential<float> train_tiny_network(const ActivationConfig& activation, int steps,
                                     std::vector<double>* losses) {
  Sequential<float> net;
  net.add(std::make_unique<Linear<float>>(4, 8));
  net.add(make_activation_layer<float>(activation, 8));
  net.add(std::make_unique<Linear<float>>(8, 3));
  net.finalize();
  Rng rng(11);
  net.initialize(rng);

  const std::size_t batch = 32;
  Matrix<float> x(batch, 4), dlogits(batch, 3);
  std::vector<std::int32_t> labels(batch);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<float>(rng.normal());
  for (auto& label : labels)
    label = static_cast<std::int32_t>(rng.below(3));

  const float learning_rate = 0.5f;
  for (int step = 0; step < steps; ++step) {
    net.zero_grad();
    const auto logits = net.forward(x.view(), {.training = true, .rng = &rng});
    const LossResult loss = softmax_cross_entropy<float>(logits, labels, 0.0, dlogits.view());
    if (losses) losses->push_back(loss.loss);
    net.backward(dlogits.view());
    auto params = net.parameters();
    auto grads = net.gradients();
    for (std::size_t i = 0; i < params.size(); ++i)
      params[i] -= learning_rate * grads[i];
  }
  return net;
}

const NamedParameter<float>* find_parameter(const Sequential<float>& net, const std::string& name) {
  for (const auto& p : net.named_parameters())
    if (p.name == name) return &p;
  return nullptr;
}

TEST(LearnableActivations, PreluSlopeIsANamedParameterAndChangesWithTraining) {
  std::vector<double> losses;
  Sequential<float> net = train_tiny_network({"prelu", {}}, 30, &losses);
  const auto* alpha = find_parameter(net, "1.prelu.alpha");
  ASSERT_NE(alpha, nullptr);
  EXPECT_EQ(alpha->tensor, "alpha");
  EXPECT_EQ(alpha->value.size(), 1u);
  EXPECT_GT(std::abs(alpha->value.data[0] - 0.25f), 1e-3f) << alpha->value.data[0];
  EXPECT_LT(losses.back(), losses.front());

  Sequential<float> per_unit = train_tiny_network({"prelu", {{"per_unit", 1}}}, 30, nullptr);
  const auto* alphas = find_parameter(per_unit, "1.prelu.alpha");
  ASSERT_NE(alphas, nullptr);
  ASSERT_EQ(alphas->value.size(), 8u);
  std::set<float> distinct(alphas->value.data, alphas->value.data + 8);
  EXPECT_GT(distinct.size(), 1u);  // each unit's slope follows its own gradient
}

TEST(LearnableActivations, SwishBetaIsLearnedOnlyWhenAskedFor) {
  Sequential<float> fixed = train_tiny_network({"swish", {}}, 5, nullptr);
  EXPECT_EQ(find_parameter(fixed, "1.swish.beta"), nullptr);

  std::vector<double> losses;
  Sequential<float> net =
      train_tiny_network({"swish", {{"learnable", 1}, {"beta", 1.5}}}, 30, &losses);
  const auto* beta = find_parameter(net, "1.swish.beta");
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ(beta->tensor, "beta");
  EXPECT_GT(std::abs(beta->value.data[0] - 1.5f), 1e-3f) << beta->value.data[0];
  EXPECT_LT(losses.back(), losses.front());
}

// ---- Derivative formulas that circulate in study notes -----------------------------------------

// Central difference in float64, h = 1e-6: truncation error ~h² |f'''| ≈ 1e-12, rounding error
// ~eps |f| / h ≈ 2e-9 for |f| <= 8; kFd bounds both.
constexpr double kFd = 1e-8;

template <typename F>
double numeric_derivative(F f, double x) {
  const double h = 1e-6;
  return (f(x + h) - f(x - h)) / (2 * h);
}

double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}

// The implemented rules agree with finite differences; each wrong formula is off by exactly the
// amount derived by hand, which is large (> 0.1) somewhere on the grid.
TEST(DerivativeMistakes, SigmoidSlopeIsSigmaTimesOneMinusSigma) {
  const ActivationParams<double> none{};
  double largest_error = 0;
  for (double x = -8; x <= 8; x += 0.25) {
    const double y = activations::Sigmoid::f(x, none);
    const double numeric = numeric_derivative([&](double v) { return sigmoid(v); }, x);
    EXPECT_NEAR(activations::Sigmoid::df(x, y, none), numeric, kFd) << x;
    const double circulating = y * (1 - y) * (0.5 - y);  // σ(1−σ)(0.5−σ)
    // σ(1−σ)(0.5−σ) − σ(1−σ) = −σ(1−σ)(0.5+σ): wrong wherever σ' is not negligible.
    EXPECT_NEAR(circulating - numeric, -y * (1 - y) * (0.5 + y), kFd) << x;
    largest_error = std::max(largest_error, std::abs(circulating - numeric));
  }
  EXPECT_GT(largest_error, 0.1);  // 1/4 at x = 0, where the wrong formula gives 0 instead of 1/4
}

TEST(DerivativeMistakes, SwishSlopeIsBetaSwishPlusSigmaTimesOneMinusBetaSwish) {
  for (double beta : {0.5, 1.0, 2.0}) {
    const ActivationParams<double> p{beta};
    double largest_error = 0;
    for (double x = -8; x <= 8; x += 0.25) {
      const double y = activations::Swish::f(x, p);
      const double numeric = numeric_derivative([&](double v) { return v * sigmoid(beta * v); }, x);
      EXPECT_NEAR(activations::Swish::df(x, y, p), numeric, kFd) << x;
      const double s = sigmoid(beta * x);
      EXPECT_NEAR(beta * y + s * (1 - beta * y), numeric, kFd) << x;  // the correct closed form
      const double circulating = beta * y + s * (1 - s);  // β·swish + σ(βx)(1−σ(βx))
      // The wrong form is off by σ(βx)² (βx − 1): right only at βx = 1 and in the far left tail.
      EXPECT_NEAR(circulating - numeric, s * s * (beta * x - 1), kFd) << x;
      largest_error = std::max(largest_error, std::abs(circulating - numeric));
    }
    EXPECT_GT(largest_error, 0.1) << "beta=" << beta;
  }
}

TEST(DerivativeMistakes, TanhSlopeLiesInZeroToOneNotMinusOneToOne) {
  const ActivationParams<double> none{};
  double lowest = 1, highest = 0;
  for (double x = -15; x <= 15; x += 1.0 / 64) {
    const double y = activations::Tanh::f(x, none);
    const double slope = activations::Tanh::df(x, y, none);
    EXPECT_NEAR(slope, numeric_derivative([](double v) { return std::tanh(v); }, x), kFd) << x;
    lowest = std::min(lowest, slope);
    highest = std::max(highest, slope);
  }
  EXPECT_GT(lowest, 0.0);    // never negative: tanh is increasing, so [-1, 1] is wrong
  EXPECT_EQ(highest, 1.0);   // reached at x = 0 exactly
  EXPECT_LT(lowest, 1e-11);  // and it approaches 0 in the tails: (0, 1]
}

}  // namespace
}  // namespace actlab
