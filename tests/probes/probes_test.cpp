#include "actlab/probes/probes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "actlab/data/batch.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/linear.hpp"
#include "actlab/nn/mlp.hpp"
#include "actlab/nn/residual_block.hpp"
#include "actlab/nn/softmax_cross_entropy.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"
#include "probes/random_dataset.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

// (step, layer, metric) -> value, from the probes' CSV.
std::map<std::tuple<std::size_t, std::string, std::string>, double> parse(const std::string& csv) {
  std::map<std::tuple<std::size_t, std::string, std::string>, double> out;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "run,step,epoch,layer,metric,value");
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ','))
      f.push_back(field);
    if (f.size() == 5) f.push_back("");  // a trailing empty field
    out[{std::stoul(f[1]), f[3], f[4]}] = std::stod(f[5]);
  }
  return out;
}

// 4 inputs → Linear(4, 5) → relu → Linear(5, 3). Units 1 and 3 of the hidden layer get zero
// weights and bias -1, so their pre-activation is -1 on every input: exactly 2/5 dead.
Sequential<float> network_with_two_dead_units() {
  Sequential<float> net;
  net.add(std::make_unique<Linear<float>>(4, 5));
  net.add(make_activation_layer<float>({"relu", {}}, 5));
  net.add(std::make_unique<Linear<float>>(5, 3));
  net.finalize();
  Rng rng(1);
  net.initialize(rng);
  auto& first = dynamic_cast<Linear<float>&>(net.layer(0));
  for (std::size_t j = 0; j < 5; ++j) {
    const bool dead = j == 1 || j == 3;
    for (std::size_t i = 0; i < 4; ++i)
      first.weight()(j, i) = dead ? 0.0f : 0.1f;
    first.bias()(0, j) = dead ? -1.0f : 0.5f;  // inputs are >= 0, so the live ones stay positive
  }
  return net;
}

TEST(Probes, DeadFractionOfAHandBuiltNetworkIsExact) {
  Sequential<float> net = network_with_two_dead_units();
  const Dataset data = random_dataset(64, 4, 2);
  ProbeConfig config;
  config.probe_set_size = 32;
  Probes probes(config, net, data, Normalizer{}, 1, "hand");
  net.plan(32);
  probes.measure(0, 0);
  const auto rows = parse(probes.csv());
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "dead_fraction"}), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "died_fraction"}), 0.0);
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "activation_zero_fraction"}), 2.0 / 5.0);
  // Dormant at tau = 0.025: the two dead units output exactly 0.
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "dormant_fraction"}), 2.0 / 5.0);
  // relu' is 0 (saturated) exactly where the unit is dead.
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "saturated_fraction"}), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "units_saturated_99"}), 2.0 / 5.0);

  // Reviving one unit is reported as revived at the next measurement.
  auto& first = dynamic_cast<Linear<float>&>(net.layer(0));
  first.bias()(0, 1) = 0.5f;
  probes.measure(5, 0);
  const auto later = parse(probes.csv());
  EXPECT_DOUBLE_EQ(later.at({5, "1", "dead_fraction"}), 1.0 / 5.0);
  EXPECT_DOUBLE_EQ(later.at({5, "1", "revived_fraction"}), 1.0 / 5.0);
}

TEST(Probes, GradientNormsEqualADirectComputation) {
  Sequential<float> net = network_with_two_dead_units();
  const Dataset data = random_dataset(16, 4, 3);
  ProbeConfig config;
  config.probe_set_size = 8;
  Probes probes(config, net, data, Normalizer{}, 1, "hand");
  Matrix<float> x(16, 4), dlogits(16, 3);
  std::vector<std::int32_t> labels(16);
  std::vector<std::uint32_t> idx(16);
  for (std::uint32_t i = 0; i < 16; ++i)
    idx[i] = i;
  gather_batch(data, idx, Normalizer{}, x.view(), labels);
  net.zero_grad();
  auto logits = net.forward(x.view(), {.training = true});
  softmax_cross_entropy<float>(logits, labels, 0.0, dlogits.view());
  net.backward(dlogits.view());

  std::vector<double> tensor_norms;
  double total = 0;
  for (const auto& p : net.named_parameters()) {
    double sum = 0;
    for (std::size_t i = 0; i < p.grad.size(); ++i)
      sum += double(p.grad.data[i]) * p.grad.data[i];
    tensor_norms.push_back(std::sqrt(sum));
    total += sum;
  }
  probes.observe_gradients(0, 1, tensor_norms, std::sqrt(total), false, 16);
  const auto rows = parse(probes.csv());
  EXPECT_NEAR(rows.at({0, "1", "grad_norm_weight"}), tensor_norms[0], 1e-6 * tensor_norms[0]);
  EXPECT_NEAR(rows.at({0, "1", "grad_norm_bias"}), tensor_norms[1], 1e-6 * tensor_norms[1]);
  EXPECT_NEAR(rows.at({0, "2", "grad_norm_weight"}), tensor_norms[2], 1e-6 * tensor_norms[2]);
  EXPECT_NEAR(rows.at({0, "", "vanishing_ratio"}), tensor_norms[0] / tensor_norms[2], 1e-6);
  // ‖∂L/∂z_2‖ is the logits gradient's Frobenius norm / √batch.
  double dz = 0;
  for (std::size_t i = 0; i < dlogits.size(); ++i)
    dz += double(dlogits.data()[i]) * dlogits.data()[i];
  EXPECT_NEAR(rows.at({0, "2", "grad_norm_preactivation"}), std::sqrt(dz) / 4.0, 1e-6);
  // The dead units pass no gradient: rows 1 and 3 of ∂L/∂W_1 are zero.
  auto& first = dynamic_cast<Linear<float>&>(net.layer(0));
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(first.weight_grad()(1, i), 0.0f);
    EXPECT_EQ(first.weight_grad()(3, i), 0.0f);
  }
}

// 2 inputs → Linear(2, 2) with identity weights and zero bias → `activation` → Linear(2, 2): the
// activation's input is the network's input itself.
Sequential<float> identity_then(const ActivationConfig& activation) {
  Sequential<float> net;
  net.add(std::make_unique<Linear<float>>(2, 2));
  net.add(make_activation_layer<float>(activation, 2));
  net.add(std::make_unique<Linear<float>>(2, 2));
  net.finalize();
  Rng rng(1);
  net.initialize(rng);
  auto& first = dynamic_cast<Linear<float>&>(net.layer(0));
  first.weight()(0, 0) = 1;
  first.weight()(0, 1) = 0;
  first.weight()(1, 0) = 0;
  first.weight()(1, 1) = 1;
  first.bias().fill_with(0.0f);
  return net;
}

TEST(Probes, SaturationOfSigmoidOnConstructedInputs) {
  // Identity weights, so the pre-activation is the input itself; inputs are 0 or 255 (scaled by
  // 1/8: 0 or ~32), i.e. z = 0 (σ' = 0.25, active) or z ≈ 32 (σ' ≈ 1e-14, saturated).
  Sequential<float> net = identity_then(ActivationConfig{"sigmoid", {}});
  Dataset data;
  data.features = 2;
  data.classes = 2;
  // Unit 0 is saturated on all 4 samples, unit 1 on 1 of 4.
  data.pixels = {255, 0, 255, 0, 255, 0, 255, 255};
  data.labels = {0, 1, 0, 1};
  ProbeConfig config;
  config.probe_set_size = 4;
  Probes probes(config, net, data, Normalizer{1.0f / 8.0f, 0.0f}, 1, "sat");
  net.plan(4);
  probes.measure(0, 0);
  const auto rows = parse(probes.csv());
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "saturated_fraction"}), 5.0 / 8.0);
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "units_saturated_99"}), 0.5);
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "dead_fraction"}), 0.0);  // sigmoid has no dead zone
}

// Per-unit PReLU: each unit's f' depends on its own slope, so the saturation reference max |f'|
// is taken with each unit's slope (it once read past the slopes, one per unit, for every point of
// its grid). Unit 1's slope of 0.001 on inputs that are always negative saturates it; unit 0's
// 0.25 never does: exactly half of the 2 units × 4 samples.
TEST(Probes, SaturationOfPerUnitPreluUsesEachUnitsSlope) {
  Sequential<float> net = identity_then(ActivationConfig{"prelu", {{"per_unit", 1.0}}});
  for (const auto& p : net.named_parameters())
    if (p.tensor == "alpha") {
      ASSERT_EQ(p.value.size(), 2u);
      p.value.data[0] = 0.25f;
      p.value.data[1] = 0.001f;
    }
  Dataset data;
  data.features = 2;
  data.classes = 2;
  data.pixels = {255, 0, 0, 0, 255, 0, 0, 0};  // x = byte / 8 - 16: unit 1 always at -16
  data.labels = {0, 1, 0, 1};
  ProbeConfig config;
  config.probe_set_size = 4;
  Probes probes(config, net, data, Normalizer{1.0f / 8.0f, -16.0f}, 1, "prelu");
  net.plan(4);
  probes.measure(0, 0);
  const auto rows = parse(probes.csv());
  EXPECT_DOUBLE_EQ(rows.at({0, "1", "saturated_fraction"}), 0.5);
}

// ‖m‖₂ over all elements, in double.
double l2(MatrixView<const float> m) {
  double sum = 0;
  for (std::size_t i = 0; i < m.size(); ++i)
    sum += double(m.data[i]) * m.data[i];
  return std::sqrt(sum);
}

LayerSpec entry(LayerSpec::Kind kind, std::size_t width = 0, const std::string& activation = "",
                NormKind norm = NormKind::kNone) {
  LayerSpec s;
  s.kind = kind;
  s.width = width;
  s.activation = {activation.empty() ? "relu" : activation, {}};
  s.norm.kind = norm;
  return s;
}

// model.layers = [linear 5, residual(no norm, relu)]: depths 1 (Linear), 2 (block), 3 (output).
// The first Linear is set as in network_with_two_dead_units, so the block's relu sees -1 on units
// 1 and 3 for every input: exactly 2/5 of the block's units are dead, reported at depth 2.
TEST(Probes, ResidualBlockLinearAndActivationAreMeasuredAtTheBlocksDepth) {
  MlpSpec spec;
  spec.inputs = 4;
  spec.outputs = 3;
  spec.layers = std::vector<LayerSpec>{entry(LayerSpec::Kind::kLinear, 5),
                                       entry(LayerSpec::Kind::kResidual, 0, "relu")};
  Sequential<float> net = build_mlp<float>(spec);
  Rng rng(1);
  net.initialize(rng);
  auto& first = dynamic_cast<Linear<float>&>(net.layer(0));
  for (std::size_t j = 0; j < 5; ++j) {
    const bool dead = j == 1 || j == 3;
    for (std::size_t i = 0; i < 4; ++i)
      first.weight()(j, i) = dead ? 0.0f : 0.1f;
    first.bias()(0, j) = dead ? -1.0f : 0.5f;
  }
  const Dataset data = random_dataset(32, 4, 5);
  ProbeConfig config;
  config.probe_set_size = 16;
  Probes probes(config, net, data, Normalizer{}, 1, "res");
  EXPECT_EQ(probes.hidden_layers(), 1u);  // the block's relu
  net.plan(16);
  probes.measure(0, 0);

  Matrix<float> x(16, 4), dlogits(16, 3);
  std::vector<std::int32_t> labels(16);
  std::vector<std::uint32_t> idx(16);
  for (std::uint32_t i = 0; i < 16; ++i)
    idx[i] = i;
  gather_batch(data, idx, Normalizer{}, x.view(), labels);
  net.zero_grad();
  softmax_cross_entropy<float>(net.forward(x.view(), {.training = true}), labels, 0.0,
                               dlogits.view());
  net.backward(dlogits.view());
  std::vector<double> norms;
  for (const auto& p : net.named_parameters())
    norms.push_back(l2(p.grad));
  probes.observe_gradients(0, 1, norms, 1.0, false, 16);

  const auto rows = parse(probes.csv());
  EXPECT_DOUBLE_EQ(rows.at({0, "2", "dead_fraction"}), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(rows.at({0, "2", "saturated_fraction"}), 2.0 / 5.0);
  const auto& named = net.named_parameters();
  ASSERT_EQ(named[2].name, "1.residual.linear.weight");
  EXPECT_NEAR(rows.at({0, "2", "weight_norm"}), l2(named[2].value), 1e-6);
  EXPECT_NEAR(rows.at({0, "2", "grad_norm_weight"}), norms[2], 1e-6 * norms[2]);
  EXPECT_NEAR(rows.at({0, "2", "grad_norm_bias"}), norms[3], 1e-6 * norms[3]);
  EXPECT_NEAR(rows.at({0, "3", "grad_norm_weight"}), norms[4], 1e-6 * norms[4]);
  EXPECT_NEAR(rows.at({0, "", "vanishing_ratio"}), norms[0] / norms[4], 1e-6);
  // The first Linear has no activation of its own in this list: no activation rows at depth 1.
  EXPECT_EQ(rows.count({0, "1", "dead_fraction"}), 0u);
  EXPECT_EQ(rows.count({0, "1", "grad_norm_weight"}), 1u);
}

// Depth is the position in the list: norms and dropout get no rows, Linear and activation layers
// get theirs at their own positions, and the output Linear is one past the list.
TEST(Probes, LayerListDepthsArePositionsInTheList) {
  MlpSpec spec;
  spec.inputs = 4;
  spec.outputs = 3;
  spec.layers =
      std::vector<LayerSpec>{entry(LayerSpec::Kind::kLinear, 6),
                             entry(LayerSpec::Kind::kNorm, 0, "", NormKind::kBatchNorm),
                             entry(LayerSpec::Kind::kActivation, 0, "tanh"),
                             entry(LayerSpec::Kind::kDropout),
                             entry(LayerSpec::Kind::kResidual, 0, "gelu", NormKind::kLayerNorm),
                             entry(LayerSpec::Kind::kLinear, 5),
                             entry(LayerSpec::Kind::kActivation, 0, "relu")};
  Sequential<float> net = build_mlp<float>(spec);
  Rng rng(2);
  net.initialize(rng);
  const Dataset data = random_dataset(40, 4, 6);
  ProbeConfig config;
  config.probe_set_size = 20;
  Probes probes(config, net, data, Normalizer{}, 1, "list");
  net.plan(20);
  probes.measure(0, 0);
  std::set<std::string> weight_depths, activation_depths;
  for (const auto& [key, value] : parse(probes.csv())) {
    if (std::get<2>(key) == "weight_norm") weight_depths.insert(std::get<1>(key));
    if (std::get<2>(key) == "activation_std") activation_depths.insert(std::get<1>(key));
  }
  EXPECT_EQ(weight_depths, (std::set<std::string>{"1", "5", "6", "8"}));
  EXPECT_EQ(activation_depths, (std::set<std::string>{"3", "5", "7"}));
  EXPECT_EQ(probes.hidden_layers(), 3u);
}

// ---- Against PyTorch: the rows a real Trainer writes to probes.csv -----------------------------

// A tensor of tests/golden/probe_network.csv (see make_probe_golden.py there).
struct GoldenTensor {
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;
};

std::map<std::string, GoldenTensor> read_probe_network() {
  const test::CsvTable table = test::read_golden_csv("probe_network.csv");
  std::map<std::string, GoldenTensor> tensors;
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    tensors[table.at(r, "tensor")] = {std::stoul(table.at(r, "rows")),
                                      std::stoul(table.at(r, "cols")),
                                      test::parse_numbers(table.at(r, "values"))};
  return tensors;
}

// The golden batch as a data set of bytes with the same normaliser (x = byte · scale + shift),
// used for training, validation and test alike: one step per epoch over the whole set, which is
// also the probe set.
DataSplits golden_data(const std::map<std::string, GoldenTensor>& golden) {
  const GoldenTensor& x = golden.at("x_bytes");
  Dataset d;
  d.name = "probe_network";
  d.features = x.cols;
  d.classes = 3;
  for (double v : x.values)
    d.pixels.push_back(static_cast<std::uint8_t>(v));
  for (double v : golden.at("labels").values)
    d.labels.push_back(static_cast<std::int32_t>(v));
  DataSplits splits{d, d, d, {}};
  splits.normalizer.scale = static_cast<float>(golden.at("scale").values[0]);
  splits.normalizer.shift = static_cast<float>(golden.at("shift").values[0]);
  return splits;
}

// Two epochs of plain SGD on the golden network, probes at every step; returns probes.csv as the
// Trainer wrote it.
std::string probes_csv_of_a_golden_run(const std::map<std::string, GoldenTensor>& golden, bool clip,
                                       int threads) {
  const DataSplits data = golden_data(golden);
  ExperimentConfig config;
  config.name = "probe_golden";
  config.threads = threads;
  config.model.hidden = {6, 5};
  config.model.activation = {"relu", {}};
  config.optimizer.name = "sgd";
  config.optimizer.learning_rate = golden.at("learning_rate").values[0];
  config.train.epochs = 2;
  config.train.batch_size = data.train.size();
  config.train.eval_batch_size = data.train.size();
  config.probes.every_steps = 1;
  config.probes.probe_set_size = data.train.size();
  if (clip) {
    config.clip.mode = ClipMode::kNorm;
    config.clip.max_norm = golden.at("max_norm").values[0];
    config.clip.norm_type = 2;
  }
  Trainer trainer(config, data);
  // The golden weights, float32 values written exactly, into the Linear layers in order.
  std::size_t linear = 0;
  for (const auto& p : trainer.network().named_parameters()) {
    if (p.tensor != "weight" && p.tensor != "bias") continue;
    if (p.tensor == "weight") ++linear;
    const GoldenTensor& t = golden.at(std::string(p.tensor) + "_" + std::to_string(linear));
    EXPECT_EQ(p.value.size(), t.values.size()) << p.name;
    if (p.tensor == "weight") {
      EXPECT_EQ(p.value.rows, t.rows) << p.name;
    }
    for (std::size_t i = 0; i < p.value.size(); ++i)
      p.value.data[i] = static_cast<float>(t.values[i]);
  }
  EXPECT_EQ(linear, 3u);

  const auto dir = std::filesystem::temp_directory_path() / "actlab_probes_test" /
                   ("golden_" + std::to_string(clip) + "_" + std::to_string(threads));
  std::filesystem::remove_all(dir);
  RunOutput output(dir);
  const RunResult result = trainer.run(&output);
  EXPECT_EQ(result.status, RunStatus::kCompleted) << result.message;
  std::ifstream in(output.path("probes.csv"));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// float32 training against PyTorch's float64: a norm of 12-row float32 sums agrees to about one
// float32 ulp (6e-8); an update ratio is a difference of float32 weights about 25 times smaller
// than the weights, so it may be off by ~25 ulps (1.5e-6). kGoldenRel bounds both and is far below
// the 2 % by which the clipped run's update ratios differ from the plain run's. Counts and dead
// fractions are exact, up to the 9 significant digits that probes.csv holds.
constexpr double kGoldenRel = 4e-6;

// Every reference row (gradient norms per layer and global, taken before clipping; clip_fired and
// clip_count, firing at step 0 only; dead fractions; update ratios) against the row of the same
// step, layer and metric that the Trainer wrote, for a run without clipping and one whose clipping
// fires once, on one thread and on two (the step then runs by rows on the team).
TEST(Probes, TrainerRowsMatchPyTorchForAFixedNetwork) {
  const auto golden = read_probe_network();
  const test::CsvTable reference = test::read_golden_csv("probe_reference.csv");
  const std::set<std::string> exact = {"dead_fraction", "clip_fired", "clip_count"};
  for (int threads : {1, 2}) {
    for (bool clip : {false, true}) {
      SCOPED_TRACE(std::string(clip ? "clipped" : "plain") + ", threads " +
                   std::to_string(threads));
      const auto rows = parse(probes_csv_of_a_golden_run(golden, clip, threads));
      std::size_t compared = 0;
      for (std::size_t r = 0; r < reference.rows.size(); ++r) {
        if (reference.at(r, "case") != (clip ? "clipped" : "plain")) continue;
        const std::string& metric = reference.at(r, "metric");
        const std::tuple<std::size_t, std::string, std::string> key{
            std::stoul(reference.at(r, "step")), reference.at(r, "layer"), metric};
        const double want = test::parse_number(reference.at(r, "value"));
        const auto got = rows.find(key);
        if (got == rows.end()) {
          ADD_FAILURE() << "no row for step " << std::get<0>(key) << " layer '" << std::get<1>(key)
                        << "' " << metric;
          continue;
        }
        if (exact.count(metric))  // to the 9 digits probes.csv writes
          EXPECT_NEAR(got->second, want, 1e-9) << metric << " step " << std::get<0>(key);
        else
          EXPECT_NEAR(got->second, want, kGoldenRel * std::abs(want))
              << metric << " step " << std::get<0>(key) << " layer " << std::get<1>(key);
        ++compared;
      }
      EXPECT_EQ(compared, 36u);
    }
  }
}

}  // namespace
}  // namespace actlab
