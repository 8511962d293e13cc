// decision_grid.csv and points.csv on hand-built inputs: a network whose logit is 4·x gives
// p = sigmoid(4x) at every cell centre, x varying fastest; the points decode to their coordinates.
#include "actlab/train/decision_grid.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/data/synthetic.hpp"
#include "actlab/nn/mlp.hpp"

namespace actlab {
namespace {

std::vector<std::vector<double>> rows_of(const std::string& csv, std::string& header) {
  std::istringstream in(csv);
  std::getline(in, header);
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<double> row;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');)
      row.push_back(std::stod(field));
    rows.push_back(row);
  }
  return rows;
}

TEST(DecisionGrid, ProbabilityOfAKnownLinearModelAtEveryCellCentre) {
  MlpSpec spec;
  spec.inputs = 2;
  spec.hidden = {};
  spec.outputs = 1;
  Sequential<float> network = build_mlp<float>(spec);
  network.plan(7);
  // One Linear layer: W = (4, 0), b = 0 (parameters: weight then bias).
  const auto params = network.parameters();
  ASSERT_EQ(params.size(), 3u);
  params[0] = 4.0f;
  params[1] = 0.0f;
  params[2] = 0.0f;
  std::string header;
  // Chunks of 7 rows do not divide the 100 cells: the last chunk is partial.
  const auto rows = rows_of(decision_grid_csv(network, synthetic_normalizer(), 10, 7), header);
  EXPECT_EQ(header, "x,y,probability");
  ASSERT_EQ(rows.size(), 100u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double x = -1.5 + 0.3 * (static_cast<double>(i % 10) + 0.5);
    const double y = -1.5 + 0.3 * (static_cast<double>(i / 10) + 0.5);
    EXPECT_NEAR(rows[i][0], x, 1e-5) << i;
    EXPECT_NEAR(rows[i][1], y, 1e-5) << i;
    EXPECT_NEAR(rows[i][2], 1.0 / (1.0 + std::exp(-4.0 * x)), 1e-5) << i;
  }
}

TEST(DecisionGrid, PointsDecodeTheirBytes) {
  Dataset train, test;
  train.features = test.features = 2;
  train.pixels = {0, 255};
  train.labels = {1};
  test.pixels = {128, 64, 10, 20};
  test.labels = {0, 1};
  std::istringstream in(points_csv(train, test));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "split,x,y,label");
  EXPECT_EQ(lines[1], "train,-1.5,1.5,1");
  EXPECT_EQ(lines[2].substr(0, 5), "test,");
  EXPECT_EQ(lines[2].back(), '0');
  EXPECT_NEAR(std::stod(lines[2].substr(5)), decode_coordinate(128), 1e-6);
}

}  // namespace
}  // namespace actlab
