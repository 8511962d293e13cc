#include "actlab/train/decision_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "actlab/core/matrix.hpp"
#include "actlab/data/synthetic.hpp"
#include "actlab/nn/sigmoid_binary_cross_entropy.hpp"

namespace actlab {
namespace {

constexpr double kLevels = 255.0;  // byte levels over [kSyntheticLow, kSyntheticHigh]

// The network input for coordinate c: the Normalizer applied to c's (fractional) byte level.
float network_input(double c, const Normalizer& normalizer) {
  const double level = (c - kSyntheticLow) / (kSyntheticHigh - kSyntheticLow) * kLevels;
  return static_cast<float>(level * normalizer.scale + normalizer.shift);
}

// p(class 1) from one row of logits: sigmoid of the single logit, or softmax over two.
double class_one_probability(const float* z, std::size_t outputs) {
  if (outputs == 1) return stable_sigmoid(z[0]);
  return stable_sigmoid(static_cast<double>(z[1]) - static_cast<double>(z[0]));
}

void append_number(std::string& out, double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  out += text;
}

}  // namespace

std::string decision_grid_csv(Sequential<float>& network, const Normalizer& normalizer,
                              std::size_t resolution, std::size_t chunk) {
  const std::size_t cells = resolution * resolution;
  const double step = (kSyntheticHigh - kSyntheticLow) / static_cast<double>(resolution);
  std::vector<double> coordinate(resolution);  // cell centres
  for (std::size_t i = 0; i < resolution; ++i)
    coordinate[i] = kSyntheticLow + (static_cast<double>(i) + 0.5) * step;
  std::string out = "x,y,probability\n";
  Matrix<float> x(std::min(chunk, cells), 2);  // (rows, 2)
  for (std::size_t first = 0; first < cells; first += chunk) {
    const std::size_t rows = std::min(chunk, cells - first);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t cell = first + r;
      x(r, 0) = network_input(coordinate[cell % resolution], normalizer);
      x(r, 1) = network_input(coordinate[cell / resolution], normalizer);
    }
    const MatrixView<const float> input = x.view().row_range(0, rows);
    const MatrixView<float> logits = network.forward(input, {.training = false, .rng = nullptr});
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t cell = first + r;
      append_number(out, coordinate[cell % resolution]);
      out += ',';
      append_number(out, coordinate[cell / resolution]);
      out += ',';
      append_number(out, class_one_probability(logits.row(r), logits.cols));
      out += '\n';
    }
  }
  return out;
}

std::string points_csv(const Dataset& train, const Dataset& test) {
  std::string out = "split,x,y,label\n";
  for (const auto& [split, data] : {std::pair{"train", &train}, std::pair{"test", &test}})
    for (std::size_t i = 0; i < data->size(); ++i) {
      out += split;
      out += ',';
      append_number(out, decode_coordinate(data->pixels[2 * i]));
      out += ',';
      append_number(out, decode_coordinate(data->pixels[2 * i + 1]));
      out += ',' + std::to_string(data->labels[i]) + '\n';
    }
  return out;
}

}  // namespace actlab
