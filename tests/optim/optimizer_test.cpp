// Optimizers against (1) values computed by hand, (2) a float64 reference written directly from the
// pseudo-code in the torch.optim 1.13 documentation, and (3) numbers printed by PyTorch 1.13
// itself.
#include "actlab/optim/optimizer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "actlab/core/error.hpp"
#include "actlab/core/rng.hpp"

// Counts every heap allocation of this test program, to prove that step() allocates nothing.
// (GCC cannot see that this operator new and operator delete pair, hence the pragma.)
namespace {
std::atomic<std::size_t> allocation_count{0};
}  // namespace
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  ++allocation_count;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace actlab {
namespace {

OptimizerConfig sgd(double momentum = 0, double dampening = 0, bool nesterov = false,
                    std::optional<double> weight_decay = {}) {
  OptimizerConfig config;
  config.name = "sgd";
  config.momentum = momentum;
  config.dampening = dampening;
  config.nesterov = nesterov;
  config.weight_decay = weight_decay;
  return config;
}

OptimizerConfig adam(const std::string& name, std::optional<double> weight_decay = {},
                     double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) {
  OptimizerConfig config;
  config.name = name;
  config.weight_decay = weight_decay;
  config.beta1 = beta1;
  config.beta2 = beta2;
  config.eps = eps;
  return config;
}

OptimizerConfig adabelief(std::optional<double> weight_decay = {}, double beta1 = 0.9,
                          double beta2 = 0.999, std::optional<double> eps = {}) {
  OptimizerConfig config;
  config.name = "adabelief";
  config.weight_decay = weight_decay;
  config.beta1 = beta1;
  config.beta2 = beta2;
  config.eps = eps;
  return config;
}

// ---------------------------------------------------------------------------------------------
// Hand-computed values.

TEST(Sgd, PlainAndMomentumStepsComputedByHand) {
  // Plain: p ← p - lr·g.  p = (1, -0.5), g = (0.1, -0.2), lr = 0.1  →  (0.99, -0.48).
  auto plain = make_optimizer(sgd(), 2);
  std::vector<float> p{1.0f, -0.5f};
  plain->step(p, std::vector<float>{0.1f, -0.2f}, 0.1);
  EXPECT_NEAR(p[0], 0.99, 1e-7);
  EXPECT_NEAR(p[1], -0.48, 1e-7);

  // Momentum 0.9: the first step's buffer is g itself, so it matches plain SGD; the second has
  // b = 0.9·(0.1, -0.2) + (0.05, 0.1) = (0.14, -0.08) and p = (0.99 - 0.014, -0.48 + 0.008).
  auto momentum = make_optimizer(sgd(0.9), 2);
  p = {1.0f, -0.5f};
  momentum->step(p, std::vector<float>{0.1f, -0.2f}, 0.1);
  EXPECT_NEAR(p[0], 0.99, 1e-7);
  EXPECT_NEAR(p[1], -0.48, 1e-7);
  momentum->step(p, std::vector<float>{0.05f, 0.1f}, 0.1);
  EXPECT_NEAR(p[0], 0.976, 1e-7);
  EXPECT_NEAR(p[1], -0.472, 1e-7);
  EXPECT_NEAR(momentum->state_buffers().at(0).second[0], 0.14, 1e-7);
  EXPECT_EQ(momentum->steps(), 2u);
}

TEST(Sgd, WeightDecayIsAddedToTheGradient) {
  // g ← g + wd·p = 0 + 0.5·2 = 1, p ← 2 - 0.1·1 = 1.9.
  auto optimizer = make_optimizer(sgd(0, 0, false, 0.5), 1);
  std::vector<float> p{2.0f};
  optimizer->step(p, std::vector<float>{0.0f}, 0.1);
  EXPECT_NEAR(p[0], 1.9, 1e-7);
}

TEST(Adam, FirstStepMovesEachParameterByTheLearningRate) {
  // At t = 1 the bias-corrected moments are m̂ = g and v̂ = g², so p ← p - lr·g/(|g| + eps):
  // a step of lr against the sign of g, short by the relative amount eps/|g| ≈ 1e-7.
  for (const std::string name : {"adam", "adamw"}) {
    auto optimizer = make_optimizer(adam(name, 0.0), 2);
    std::vector<float> p{1.0f, -0.5f};
    optimizer->step(p, std::vector<float>{0.1f, -0.2f}, 0.01);
    EXPECT_NEAR(p[0], 0.99, 1e-7) << name;
    EXPECT_NEAR(p[1], -0.49, 1e-7) << name;
  }
}

TEST(Adam, DefaultWeightDecayIsZeroForAdamAndDecoupledHundredthForAdamW) {
  // With g = 0 the moments stay 0 and the Adam update is 0/(0 + eps) = 0: only decay acts.
  const std::vector<float> zero{0.0f, 0.0f};
  auto plain = make_optimizer(adam("adam"), 2);
  std::vector<float> p{1.0f, -2.0f};
  plain->step(p, zero, 0.1);
  EXPECT_EQ(p, (std::vector<float>{1.0f, -2.0f}));

  // AdamW: p ← p·(1 - lr·0.01) = p·0.999, twice.
  auto decoupled = make_optimizer(adam("adamw"), 2);
  decoupled->step(p, zero, 0.1);
  decoupled->step(p, zero, 0.1);
  EXPECT_NEAR(p[0], 0.998001, 1e-7);
  EXPECT_NEAR(p[1], -1.996002, 2e-7);
}

TEST(AdaBelief, FirstStepMovesEachParameterByTheLearningRateOverPointNine) {
  // t = 1: m = 0.1·g, the belief g - m = 0.9·g, s = 0.001·0.81·g² + eps; bias-corrected,
  // m̂ = g and ŝ = 0.81·g² (+ 1e-13), so p ← p - lr·g/(0.9·|g|): a step of lr/0.9 against the sign
  // of g (Adam's is lr: its second moment is g², not (0.9 g)²). With lr = 0.009 the step is 0.01.
  auto optimizer = make_optimizer(adabelief(), 2);
  std::vector<float> p{1.0f, -0.5f};
  optimizer->step(p, std::vector<float>{0.1f, -0.2f}, 0.009);
  EXPECT_NEAR(p[0], 0.99, 1e-7);
  EXPECT_NEAR(p[1], -0.49, 1e-7);
  // s keeps the eps added in place (the package's exp_avg_var.add_(eps)): 0.00081·0.01 + 1e-16.
  EXPECT_NEAR(optimizer->state_buffers()[1].second[0], 8.1e-6, 1e-11);
}

TEST(AdaBelief, ConstantGradientsGrowTheStepWhileTheBeliefShrinks) {
  // With g constant, g - m_t = 0.9^t·g shrinks, so ŝ falls and the step lr·m̂/√ŝ grows: the
  // second step is lr/√(0.00146529/0.001999) = lr/0.856160... (by hand: s₂ = 0.999·0.00081·g² +
  // 0.001·0.6561·g², m̂₂ = g). AdaBelief's "large step when the gradient is believed".
  auto optimizer = make_optimizer(adabelief(), 1);
  std::vector<float> p{0.0f};
  optimizer->step(p, std::vector<float>{1.0f}, 0.01);
  const float after_first = p[0];
  optimizer->step(p, std::vector<float>{1.0f}, 0.01);
  EXPECT_NEAR(after_first, -0.01 / 0.9, 1e-8);
  EXPECT_NEAR(p[0] - after_first, -0.01 / std::sqrt(0.00146529 / 0.001999), 1e-8);
}

TEST(AdaBelief, DefaultsAreThePackagesAndDecayIsDecoupled) {
  // eps 1e-16 unless given (adam's 1e-8 otherwise); weight decay 0; with g = 0 the update is
  // 0/(√eps·... + eps) = 0, so only a configured decay moves p: p·(1 - lr·wd).
  EXPECT_EQ(default_eps("adabelief"), 1e-16);
  EXPECT_EQ(default_eps("adam"), 1e-8);
  const std::vector<float> zero{0.0f, 0.0f};
  std::vector<float> p{1.0f, -2.0f};
  make_optimizer(adabelief(), 2)->step(p, zero, 0.1);
  EXPECT_EQ(p, (std::vector<float>{1.0f, -2.0f}));
  make_optimizer(adabelief(0.5), 2)->step(p, zero, 0.1);
  EXPECT_NEAR(p[0], 0.95, 1e-7);
  EXPECT_NEAR(p[1], -1.9, 1e-7);
}

TEST(Sgd, DefaultWeightDecayIsZero) {
  auto optimizer = make_optimizer(sgd(0.9), 1);
  std::vector<float> p{3.0f};
  optimizer->step(p, std::vector<float>{0.0f}, 0.1);
  EXPECT_EQ(p[0], 3.0f);
}

// ---------------------------------------------------------------------------------------------
// A float64 reference, transcribed from the algorithm boxes of the torch.optim 1.13 docs.

// SGD (t = 1, 2, ...):
//   if λ ≠ 0: g_t ← g_t + λ θ_{t-1}
//   if μ ≠ 0: b_t ← g_t if t = 1 else μ b_{t-1} + (1 - τ) g_t
//             g_t ← g_t + μ b_t if nesterov else b_t
//   θ_t ← θ_{t-1} - γ g_t
// AdaBelief, from Algorithm 2 of Zhuang et al. 2020 with the adabelief-pytorch 0.2.0 details
// (decoupled decay; eps added to s_t in place; rectify off):
//        θ_t ← θ_{t-1} - γ λ θ_{t-1}
//        m_t ← β1 m_{t-1} + (1 - β1) g_t,   s_t ← β2 s_{t-1} + (1 - β2) (g_t - m_t)² + ε
//        m̂_t ← m_t / (1 - β1^t),  ŝ_t ← s_t / (1 - β2^t),  θ_t ← θ_t - γ m̂_t / (√ŝ_t + ε)
// Adam:  if λ ≠ 0: g_t ← g_t + λ θ_{t-1}
// AdamW: θ_t ← θ_{t-1} - γ λ θ_{t-1}
// both:  m_t ← β1 m_{t-1} + (1 - β1) g_t,   v_t ← β2 v_{t-1} + (1 - β2) g_t²
//        m̂_t ← m_t / (1 - β1^t),  v̂_t ← v_t / (1 - β2^t),  θ_t ← θ_t - γ m̂_t / (√v̂_t + ε)
class ReferenceOptimizer {
 public:
  explicit ReferenceOptimizer(const OptimizerConfig& c) : c_(c) {
    lambda_ = c.weight_decay.value_or(c.name == "adamw" ? 0.01 : 0.0);
  }
  void step(std::vector<double>& theta, const std::vector<double>& grad, double gamma) {
    ++t_;
    if (t_ == 1) b_ = m_ = v_ = std::vector<double>(theta.size(), 0.0);
    for (std::size_t i = 0; i < theta.size(); ++i) {
      double g = grad[i];
      if (c_.name == "sgd") {
        if (lambda_ != 0) g += lambda_ * theta[i];
        if (c_.momentum != 0) {
          b_[i] = t_ == 1 ? g : c_.momentum * b_[i] + (1 - c_.dampening) * g;
          g = c_.nesterov ? g + c_.momentum * b_[i] : b_[i];
        }
        theta[i] -= gamma * g;
        continue;
      }
      if (c_.name == "adabelief") {
        const double eps = c_.eps.value_or(1e-16);
        theta[i] -= gamma * lambda_ * theta[i];
        m_[i] = c_.beta1 * m_[i] + (1 - c_.beta1) * g;
        v_[i] = c_.beta2 * v_[i] + (1 - c_.beta2) * (g - m_[i]) * (g - m_[i]) + eps;
        const double m_hat = m_[i] / (1 - std::pow(c_.beta1, t_));
        const double s_hat = v_[i] / (1 - std::pow(c_.beta2, t_));
        theta[i] -= gamma * m_hat / (std::sqrt(s_hat) + eps);
        continue;
      }
      if (c_.name == "adam" && lambda_ != 0) g += lambda_ * theta[i];
      if (c_.name == "adamw") theta[i] -= gamma * lambda_ * theta[i];
      m_[i] = c_.beta1 * m_[i] + (1 - c_.beta1) * g;
      v_[i] = c_.beta2 * v_[i] + (1 - c_.beta2) * g * g;
      const double m_hat = m_[i] / (1 - std::pow(c_.beta1, t_));
      const double v_hat = v_[i] / (1 - std::pow(c_.beta2, t_));
      theta[i] -= gamma * m_hat / (std::sqrt(v_hat) + c_.eps.value_or(1e-8));
    }
  }

 private:
  OptimizerConfig c_;
  double lambda_;
  int t_ = 0;
  std::vector<double> b_, m_, v_;
};

// The shared trajectory: 3 parameters, 4 steps with different gradients and learning rates.
const std::vector<double> kStart{1.0, -0.5, 0.25};
const std::vector<std::vector<double>> kGrads{
    {0.1, -0.2, 0.3}, {0.05, 0.1, -0.4}, {-0.3, 0.2, 0.1}, {0.2, 0.0, -0.1}};
const std::vector<double> kLearningRates{0.1, 0.05, 0.1, 0.02};

struct TrajectoryCase {
  std::string label;
  OptimizerConfig config;
  // The parameters after all steps as printed by PyTorch 1.13.1 (see the note on kTrajectoryCases).
  std::vector<double> torch_result;
};

std::vector<float> to_float(const std::vector<double>& v) {
  return {v.begin(), v.end()};
}

// Runs the trajectory through the actlab optimizer (float) and the reference (double).
void run_trajectory(const OptimizerConfig& config, std::vector<float>& got,
                    std::vector<double>& want) {
  auto optimizer = make_optimizer(config, kStart.size());
  ReferenceOptimizer reference(config);
  got = to_float(kStart);
  want = kStart;
  for (std::size_t s = 0; s < kGrads.size(); ++s) {
    optimizer->step(got, to_float(kGrads[s]), kLearningRates[s]);
    reference.step(want, kGrads[s], kLearningRates[s]);
  }
  EXPECT_EQ(optimizer->steps(), kGrads.size());
}

class Trajectory : public ::testing::TestWithParam<TrajectoryCase> {};

// Float32 against float64, after 4 steps on parameters of order 1: |got - want| <= 1e-6.
TEST_P(Trajectory, MatchesTheFloat64ReferenceFromThePyTorchDocs) {
  std::vector<float> got;
  std::vector<double> want;
  run_trajectory(GetParam().config, got, want);
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-6) << i;
}

// Measured: bit-identical to PyTorch's float32 results except one element 1 ulp away
// (adam_weight_decay); 2.5e-7 allows 2 ulps at |p| ~ 1.
TEST_P(Trajectory, MatchesPyTorch) {
  std::vector<float> got;
  std::vector<double> want;
  run_trajectory(GetParam().config, got, want);
  const auto& torch_result = GetParam().torch_result;
  ASSERT_EQ(torch_result.size(), got.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], torch_result[i], 2.5e-7) << i;
}

// torch_result: p after the trajectory in float32, printed by PyTorch 1.13.1 (Debian python3-torch
// 1.13.1+dfsg-4) with, per case, p = Parameter(tensor(kStart, dtype=float32)), the optimizer built
// with only the listed non-default arguments, and for each step: group["lr"] = lr, p.grad = g,
// step(). Printed with repr(float(x)). The tests never need torch.
// The adabelief cases: adabelief-pytorch is not packaged for Debian, so its 0.2.0 step (rectify
// off) was transcribed operation by operation into torch float32 tensors (p.mul_(1 - lr·wd);
// exp_avg.mul_(β1).add_(g, alpha=1-β1); r = g - exp_avg; exp_avg_var.mul_(β2).addcmul_(r, r,
// value=1-β2); denom = (exp_avg_var.add_(eps).sqrt() / sqrt(bc2)).add_(eps);
// p.addcdiv_(exp_avg, denom, value=-lr/bc1)) and run the same way.
const std::vector<TrajectoryCase> kTrajectoryCases{
    {"sgd", sgd(), {1.0135000944137573, -0.5049999952316284, 0.23199999332427979}},
    {"sgd_momentum", sgd(0.9), {0.9995319247245789, -0.49110397696495056, 0.23050600290298462}},
    {"sgd_nesterov",
     sgd(0.9, 0, true),
     {1.0130786895751953, -0.4969936013221741, 0.21445539593696594}},
    {"sgd_weight_decay",
     sgd(0, 0, false, 0.1),
     {0.9868882894515991, -0.4918630123138428, 0.22560027241706848}},
    {"sgd_momentum_dampening_weight_decay",
     sgd(0.9, 0.5, false, 0.01),
     {0.9838805794715881, -0.4695907235145569, 0.20324499905109406}},
    {"adam", adam("adam"), {0.8867765069007874, -0.41842037439346313, 0.16438856720924377}},
    {"adam_weight_decay",
     adam("adam", 0.1),
     {0.8274271488189697, -0.37806540727615356, 0.15405508875846863}},
    {"adam_betas_eps",
     adam("adam", 0.0, 0.5, 0.9, 1e-3),
     {0.9284540414810181, -0.47332003712654114, 0.18337416648864746}},
    {"adamw", adam("adamw"), {0.8842979669570923, -0.4172521233558655, 0.16387209296226501}},
    {"adamw_weight_decay",
     adam("adamw", 0.1),
     {0.8622065782546997, -0.4068419337272644, 0.1592726707458496}},
    {"adabelief", adabelief(), {0.8709233403205872, -0.4085509777069092, 0.15412570536136627}},
    {"adabelief_weight_decay",
     adabelief(0.1),
     {0.8466221690177917, -0.3971673250198364, 0.14919069409370422}},
    {"adabelief_betas_eps",
     adabelief({}, 0.5, 0.9, 1e-8),
     {0.8270125389099121, -0.42634889483451843, 0.10195256769657135}},
};

INSTANTIATE_TEST_SUITE_P(Optimizers, Trajectory, ::testing::ValuesIn(kTrajectoryCases),
                         [](const ::testing::TestParamInfo<TrajectoryCase>& param_info) {
                           return param_info.param.label;
                         });

// ---------------------------------------------------------------------------------------------
// State, checkpoints, allocation.

class EveryOptimizer : public ::testing::TestWithParam<OptimizerConfig> {};

// Restoring state_buffers() and steps() into a fresh optimizer continues the run bit for bit.
TEST_P(EveryOptimizer, ResumesBitIdenticallyFromItsState) {
  auto straight = make_optimizer(GetParam(), kStart.size());
  auto first_half = make_optimizer(GetParam(), kStart.size());
  std::vector<float> p_straight = to_float(kStart), p_resumed = to_float(kStart);
  for (std::size_t s = 0; s < kGrads.size(); ++s)
    straight->step(p_straight, to_float(kGrads[s]), kLearningRates[s]);
  for (std::size_t s = 0; s < 2; ++s)
    first_half->step(p_resumed, to_float(kGrads[s]), kLearningRates[s]);

  auto resumed = make_optimizer(GetParam(), kStart.size());
  auto saved = first_half->state_buffers();
  auto fresh = resumed->state_buffers();
  ASSERT_EQ(saved.size(), fresh.size());
  for (std::size_t b = 0; b < saved.size(); ++b) {
    ASSERT_EQ(saved[b].first, fresh[b].first);
    ASSERT_EQ(saved[b].second.size(), kStart.size());
    std::copy(saved[b].second.begin(), saved[b].second.end(), fresh[b].second.begin());
  }
  resumed->set_steps(first_half->steps());
  for (std::size_t s = 2; s < kGrads.size(); ++s)
    resumed->step(p_resumed, to_float(kGrads[s]), kLearningRates[s]);
  EXPECT_EQ(p_resumed, p_straight);
}

TEST_P(EveryOptimizer, StepAllocatesNothing) {
  auto optimizer = make_optimizer(GetParam(), kStart.size());
  std::vector<float> p = to_float(kStart), g = to_float(kGrads[0]);
  const std::size_t before = allocation_count.load();
  for (int s = 0; s < 3; ++s)
    optimizer->step(p, g, 0.01);
  EXPECT_EQ(allocation_count.load(), before);
}

TEST_P(EveryOptimizer, RejectsBuffersOfTheWrongLength) {
  auto optimizer = make_optimizer(GetParam(), 3);
  std::vector<float> p(3), g(2);
  EXPECT_THROW(optimizer->step(p, g, 0.01), std::invalid_argument);
  EXPECT_EQ(optimizer->steps(), 0u);
}

// The trainer updates the parameters slice by slice. A step made of slices, in any order, must
// equal step() bit for bit.
TEST_P(EveryOptimizer, AStepMadeOfSlicesIsBitIdenticalToStep) {
  constexpr std::size_t n = 1000;
  Rng rng(5);
  std::vector<float> start(n);
  for (float& v : start)
    v = static_cast<float>(rng.normal());
  auto whole = make_optimizer(GetParam(), n);
  auto sliced = make_optimizer(GetParam(), n);
  std::vector<float> p_whole = start, p_sliced = start, g(n);
  const std::vector<std::pair<std::size_t, std::size_t>> slices = {
      {700, 300}, {690, 10}, {300, 390}, {0, 300}};
  for (int s = 0; s < 4; ++s) {
    for (float& v : g)
      v = static_cast<float>(0.1 * rng.normal());
    const double lr = 0.01 * (s + 1);
    whole->step(p_whole, g, lr);
    for (const auto& [offset, size] : slices)
      sliced->update(std::span<float>(p_sliced).subspan(offset, size),
                     std::span<const float>(g).subspan(offset, size), offset, lr);
    EXPECT_EQ(sliced->steps(), static_cast<std::uint64_t>(s));  // until finish_step()
    sliced->finish_step();
  }
  EXPECT_EQ(sliced->steps(), whole->steps());
  EXPECT_EQ(p_sliced, p_whole);
  auto a = whole->state_buffers(), b = sliced->state_buffers();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(std::equal(a[i].second.begin(), a[i].second.end(), b[i].second.begin()))
        << a[i].first;
}

TEST_P(EveryOptimizer, UpdateRejectsASliceOutsideTheBuffer) {
  auto optimizer = make_optimizer(GetParam(), 10);
  std::vector<float> p(4), g(4), short_g(3);
  EXPECT_THROW(optimizer->update(p, g, 7, 0.01), std::invalid_argument);
  EXPECT_THROW(optimizer->update(p, g, 11, 0.01), std::invalid_argument);
  EXPECT_THROW(optimizer->update(p, short_g, 0, 0.01), std::invalid_argument);
  const std::size_t before = allocation_count.load();
  optimizer->update(p, g, 6, 0.01);  // the last four: fits, and allocates nothing
  EXPECT_EQ(allocation_count.load(), before);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, EveryOptimizer,
                         ::testing::Values(sgd(), sgd(0.9), sgd(0.9, 0, true), adam("adam"),
                                           adam("adamw"), adabelief()));

// A unit whose gradient stays zero (a dead ReLU) decays its optimizer state into the subnormal
// range, where it would stay (0.9 · 4·2⁻¹⁴⁹ rounds back to 4·2⁻¹⁴⁹) and make every update of it a
// slow microcode assist. The update flushes such state to zero (core/subnormals.hpp) and leaves the
// parameters where the subnormal steps would have left them, and the thread's mode as it was.
TEST(Optimizer, FlushesSubnormalStateToZeroWithoutMovingTheParameters) {
  const float tiny = 4 * std::numeric_limits<float>::denorm_min();
  for (const OptimizerConfig& config : {sgd(0.9), adam("adam"), adam("adamw"), adabelief()}) {
    SCOPED_TRACE(config.name);
    auto optimizer = make_optimizer(config, 3);
    std::vector<float> p{0.5f, -0.25f, 0.75f};
    optimizer->step(p, std::vector<float>{0.1f, 0.0f, -0.2f}, 0.01);
    for (const auto& [name, buffer] : optimizer->state_buffers())
      std::fill(buffer.begin(), buffer.end(), name == "exp_avg" ? -tiny : tiny);
    const std::vector<float> before = p;
    optimizer->step(p, std::vector<float>(3, 0.0f), 0.01);
    for (const auto& [name, buffer] : optimizer->state_buffers())
      for (const float value : buffer) {
        // AdaBelief adds eps (1e-16) to its variance every step.
        EXPECT_EQ(value, name == "exp_avg_var" ? 1e-16f : 0.0f) << name;
      }
    if (config.name != "adamw") {
      EXPECT_EQ(p, before);  // adamw decays p by 1 - lr·wd
    }
  }
  volatile float smallest = std::numeric_limits<float>::min(), half = 0.5f;
  volatile float product = smallest * half;  // computed at run time, in the thread's mode
  EXPECT_EQ(std::fpclassify(product), FP_SUBNORMAL);
}

TEST(Optimizer, NamesAndStateBuffers) {
  EXPECT_EQ(optimizer_names(), (std::vector<std::string>{"sgd", "adam", "adamw", "adabelief"}));
  EXPECT_EQ(make_optimizer(sgd(), 4)->name(), "sgd");
  EXPECT_TRUE(make_optimizer(sgd(), 4)->state_buffers().empty());  // plain SGD keeps no state
  auto momentum = make_optimizer(sgd(0.5), 4);
  ASSERT_EQ(momentum->state_buffers().size(), 1u);
  EXPECT_EQ(momentum->state_buffers()[0].first, "momentum_buffer");
  EXPECT_EQ(momentum->state_buffers()[0].second.size(), 4u);
  for (const std::string name : {"adam", "adamw"}) {
    auto optimizer = make_optimizer(adam(name), 4);
    EXPECT_EQ(optimizer->name(), name);
    const auto buffers = optimizer->state_buffers();
    ASSERT_EQ(buffers.size(), 2u);
    EXPECT_EQ(buffers[0].first, "exp_avg");
    EXPECT_EQ(buffers[1].first, "exp_avg_sq");
    EXPECT_EQ(buffers[1].second.size(), 4u);
  }
  auto belief = make_optimizer(adabelief(), 4);
  EXPECT_EQ(belief->name(), "adabelief");
  ASSERT_EQ(belief->state_buffers().size(), 2u);
  EXPECT_EQ(belief->state_buffers()[0].first, "exp_avg");
  EXPECT_EQ(belief->state_buffers()[1].first, "exp_avg_var");
}

TEST(Optimizer, RejectsInvalidConfigurations) {
  auto rejects = [](const OptimizerConfig& config) {
    EXPECT_THROW(make_optimizer(config, 3), ConfigError) << config.name;
  };
  OptimizerConfig unknown;
  unknown.name = "adma";
  try {
    make_optimizer(unknown, 3);
    ADD_FAILURE() << "unknown optimizer accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("did you mean 'adam'"), std::string::npos)
        << error.what();
  }
  rejects(sgd(0, 0, true));       // nesterov without momentum
  rejects(sgd(0.9, 0.1, true));   // nesterov with dampening
  rejects(sgd(-0.1));             // negative momentum
  rejects(sgd(0.9, -0.5));        // negative dampening
  rejects(sgd(0, 0, false, -1));  // negative weight decay
  rejects(adam("adamw", -0.1));
  OptimizerConfig negative_lr = sgd();
  negative_lr.learning_rate = -0.01;
  rejects(negative_lr);
  OptimizerConfig nan_lr = adam("adam");
  nan_lr.learning_rate = std::nan("");
  rejects(nan_lr);
  rejects(adam("adam", {}, 1.0));                                  // beta1 = 1
  rejects(adam("adam", {}, -0.1));                                 // beta1 < 0
  rejects(adam("adamw", {}, 0.9, 1.0));                            // beta2 = 1
  rejects(adam("adam", {}, 0.9, 0.999, 0.0));                      // eps = 0
  rejects(adam("adam", {}, 0.9, 0.999, -1e-8));                    // eps < 0
  rejects(adabelief({}, 1.0));                                     // beta1 = 1
  rejects(adabelief({}, 0.9, 0.999, 0.0));                         // eps = 0
  rejects(adabelief(-0.1));                                        // negative weight decay
  EXPECT_NO_THROW(make_optimizer(adam("adam", {}, 0.0, 0.0), 3));  // betas of 0 are valid
}

}  // namespace
}  // namespace actlab
