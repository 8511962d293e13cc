// Gradient clipping against torch.nn.utils.clip_grad_norm_ values (tests/golden/clip_grad_norm.csv)
// and hand-computed cases.
#include "actlab/optim/clip.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "support/golden.hpp"

namespace actlab {
namespace {

struct ClipCase {
  std::size_t row;
  double max_norm, norm_type, total_norm;
  std::vector<double> grads_in, grads_out;
};

std::vector<ClipCase> golden_cases() {
  const test::CsvTable table = test::read_golden_csv("clip_grad_norm.csv");
  std::vector<ClipCase> cases;
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    cases.push_back({r, test::parse_number(table.at(r, "max_norm")),
                     test::parse_number(table.at(r, "norm_type")),
                     test::parse_number(table.at(r, "total_norm")),
                     test::parse_numbers(table.at(r, "grads_in")),
                     test::parse_numbers(table.at(r, "grads_out"))});
  return cases;
}

// |got - want| <= tolerance·max(1, |want|): float64 to 1e-14, float32 to 2e-7 (the norm is
// accumulated in double; float32 adds the rounding of the inputs, of the coefficient and of the
// outputs, each at most 6e-8 relative).
template <typename T>
constexpr double kTolerance = std::is_same_v<T, double> ? 1e-14 : 2e-7;

template <typename T>
void expect_matches_golden(const ClipCase& c, const std::vector<T>& grads, double total_norm) {
  const double tolerance = kTolerance<T>;
  EXPECT_NEAR(total_norm, c.total_norm, tolerance * std::max(1.0, c.total_norm));
  ASSERT_EQ(grads.size(), c.grads_out.size());
  for (std::size_t i = 0; i < grads.size(); ++i)
    EXPECT_NEAR(grads[i], c.grads_out[i], tolerance * std::max(1.0, std::abs(c.grads_out[i])))
        << "element " << i;
}

template <typename T>
void check_golden() {
  const auto cases = golden_cases();
  ASSERT_EQ(cases.size(), 9u);
  std::set<double> norm_types;
  for (const ClipCase& c : cases) {
    SCOPED_TRACE("golden row " + std::to_string(c.row));
    std::vector<T> grads(c.grads_in.begin(), c.grads_in.end());
    EXPECT_NEAR(global_norm(std::span<const T>(grads), c.norm_type), c.total_norm,
                kTolerance<T> * std::max(1.0, c.total_norm));
    const ClipResult result = clip_grad_norm(std::span<T>(grads), c.max_norm, c.norm_type);
    expect_matches_golden(c, grads, result.total_norm);
    // PyTorch scales whenever max_norm / (norm + 1e-6) < 1, even at norm == max_norm (row 2).
    EXPECT_EQ(result.clipped, c.grads_out != c.grads_in);
    norm_types.insert(c.norm_type);
  }
  EXPECT_EQ(norm_types, (std::set<double>{1.0, 2.0, std::numeric_limits<double>::infinity()}));
}

TEST(ClipGradNorm, MatchesPyTorchInFloat64) {
  check_golden<double>();
}
TEST(ClipGradNorm, MatchesPyTorchInFloat32) {
  check_golden<float>();
}

// A NaN anywhere must give a NaN norm, whatever the norm and wherever the NaN sits, so that the
// trainer can detect divergence from the norm alone.
TEST(ClipGradNorm, NanGradientGivesNanNorm) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (double norm_type : {2.0, 1.0, 3.0, std::numeric_limits<double>::infinity()}) {
    for (std::size_t position = 0; position < 3; ++position) {
      std::vector<float> grads{1.0f, -2.0f, 0.5f};
      grads[position] = nan;
      SCOPED_TRACE("norm " + std::to_string(norm_type) + ", NaN at " + std::to_string(position));
      EXPECT_TRUE(std::isnan(global_norm(std::span<const float>(grads), norm_type)));
      EXPECT_TRUE(std::isnan(clip_grad_norm(std::span<float>(grads), 1.0, norm_type).total_norm));
    }
  }
}

TEST(ClipGradNorm, InfiniteGradientGivesInfiniteNorm) {
  std::vector<double> grads{1.0, -std::numeric_limits<double>::infinity()};
  EXPECT_EQ(global_norm(std::span<const double>(grads)), std::numeric_limits<double>::infinity());
}

TEST(ClipGradValue, ClampsEachElement) {
  std::vector<float> grads{-3.0f, 0.5f, 2.0f, -0.1f, 1.0f};
  EXPECT_TRUE(clip_grad_value(std::span<float>(grads), 1.0));
  EXPECT_EQ(grads, (std::vector<float>{-1.0f, 0.5f, 1.0f, -0.1f, 1.0f}));
  // Already inside the range (the bound itself included): nothing changes.
  EXPECT_FALSE(clip_grad_value(std::span<float>(grads), 1.0));
  EXPECT_EQ(grads, (std::vector<float>{-1.0f, 0.5f, 1.0f, -0.1f, 1.0f}));
  std::vector<double> wide{-0.25, 0.25};
  EXPECT_TRUE(clip_grad_value(std::span<double>(wide), 0.125));
  EXPECT_EQ(wide, (std::vector<double>{-0.125, 0.125}));
}

// Per-tensor clipping: each tensor is clipped as if it were alone. Feeding every golden case with
// L2 norm and max_norm 1 as one tensor of a list must reproduce each case's own PyTorch result,
// which a single global clip over the concatenation would not.
TEST(ClipGradNormPerTensor, ClipsEachTensorOnItsOwn) {
  std::vector<ClipCase> chosen;
  for (const ClipCase& c : golden_cases())
    if (c.max_norm == 1.0 && c.norm_type == 2.0) chosen.push_back(c);
  ASSERT_GE(chosen.size(), 4u);  // includes the all-zero gradient, which must stay unclipped
  std::vector<std::vector<double>> storage;
  for (const ClipCase& c : chosen)
    storage.push_back(c.grads_in);
  std::vector<std::span<double>> tensors(storage.begin(), storage.end());

  std::vector<ClipResult> results(chosen.size());
  const bool any = clip_grad_norm_per_tensor(std::span<const std::span<double>>(tensors), 1.0, 2.0,
                                             std::span<ClipResult>(results));
  bool expected_any = false;
  for (std::size_t t = 0; t < chosen.size(); ++t) {
    SCOPED_TRACE("golden row " + std::to_string(chosen[t].row));
    expect_matches_golden(chosen[t], storage[t], results[t].total_norm);
    EXPECT_EQ(results[t].clipped, chosen[t].grads_out != chosen[t].grads_in);
    expected_any = expected_any || results[t].clipped;
  }
  EXPECT_EQ(any, expected_any);
}

TEST(ClipGradNormPerTensor, HandComputedFloatCase) {
  // Tensor norms 5 (clipped by 2/(5 + 1e-6)), 0.5 (kept), and max-abs 4 under norm inf.
  std::vector<float> a{3.0f, 4.0f}, b{0.3f, -0.4f};
  std::vector<std::span<float>> tensors{a, b};
  std::vector<ClipResult> results(2);
  EXPECT_TRUE(clip_grad_norm_per_tensor(std::span<const std::span<float>>(tensors), 2.0, 2.0,
                                        std::span<ClipResult>(results)));
  EXPECT_DOUBLE_EQ(results[0].total_norm, 5.0);
  EXPECT_TRUE(results[0].clipped);
  EXPECT_NEAR(a[0], 3.0 * 2.0 / (5.0 + 1e-6), 1e-7);
  EXPECT_NEAR(a[1], 4.0 * 2.0 / (5.0 + 1e-6), 1e-7);
  EXPECT_NEAR(results[1].total_norm, 0.5, 1e-7);
  EXPECT_FALSE(results[1].clipped);
  EXPECT_EQ(b, (std::vector<float>{0.3f, -0.4f}));

  std::vector<float> c{1.0f, -4.0f};
  std::vector<std::span<float>> one{c};
  EXPECT_TRUE(clip_grad_norm_per_tensor(std::span<const std::span<float>>(one), 1.0,
                                        std::numeric_limits<double>::infinity(),
                                        std::span<ClipResult>(results).first(1)));
  EXPECT_DOUBLE_EQ(results[0].total_norm, 4.0);
  EXPECT_NEAR(c[1], -4.0 / (4.0 + 1e-6), 1e-7);
  EXPECT_FALSE(clip_grad_norm_per_tensor(std::span<const std::span<float>>(), 1.0));
  // A results span of the wrong length is a caller's bug.
  EXPECT_THROW(clip_grad_norm_per_tensor(std::span<const std::span<float>>(tensors), 1.0, 2.0,
                                         std::span<ClipResult>(results).first(1)),
               std::invalid_argument);
}

}  // namespace
}  // namespace actlab
