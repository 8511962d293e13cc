#pragma once
// Reads tests/golden/layers.csv (written by tests/golden/make_layer_golden.py from PyTorch 1.13 in
// float64): per case, the inputs, parameters and expected outputs of one layer, by tensor name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/core/matrix.hpp"
#include "actlab/nn/layer.hpp"
#include "support/golden.hpp"
#include "support/layer_buffers.hpp"

namespace actlab::test {

struct LayerGoldenCase {
  int id = 0;
  std::string layer;  // "batchnorm", "layernorm", "residual"
  bool training = false;
  std::map<std::string, std::string> options;  // "momentum" -> "0.1", "norm" -> "layernorm"
  std::map<std::string, Matrix<double>> tensors;

  bool has(const std::string& name) const { return tensors.count(name) > 0; }
  const Matrix<double>& at(const std::string& name) const { return tensors.at(name); }
  double number(const std::string& option) const { return parse_number(options.at(option)); }
  std::string label() const {
    std::string text = layer + " case " + std::to_string(id) + (training ? " (training" : " (eval");
    for (const auto& [k, v] : options)
      text += ", " + k + "=" + v;
    return text + ")";
  }
};

inline std::vector<LayerGoldenCase> read_layer_golden(const std::string& layer) {
  const CsvTable table = read_golden_csv("layers.csv");
  std::vector<LayerGoldenCase> cases;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    if (table.at(r, "layer") != layer) continue;
    const int id = std::stoi(table.at(r, "case"));
    if (cases.empty() || cases.back().id != id) {
      LayerGoldenCase c;
      c.id = id;
      c.layer = layer;
      c.training = table.at(r, "training") == "1";
      std::stringstream options(table.at(r, "options"));
      std::string pair;
      while (std::getline(options, pair, ','))
        c.options[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
      cases.push_back(std::move(c));
    }
    const auto rows = std::stoul(table.at(r, "rows")), cols = std::stoul(table.at(r, "cols"));
    const std::vector<double> values = parse_numbers(table.at(r, "values"));
    EXPECT_EQ(values.size(), rows * cols) << table.at(r, "tensor");
    Matrix<double> m(rows, cols);
    std::copy(values.begin(), values.end(), m.data());
    cases.back().tensors[table.at(r, "tensor")] = std::move(m);
  }
  return cases;
}

// A copy of `m` in T.
template <typename T>
Matrix<T> converted(const Matrix<double>& m) {
  Matrix<T> out(m.rows(), m.cols());
  for (std::size_t i = 0; i < m.size(); ++i)
    out.data()[i] = static_cast<T>(m.data()[i]);
  return out;
}

// Overwrites dst's elements (same shape), keeping its storage: layers hold views of it.
template <typename T>
void copy_into(Matrix<T>& dst, const Matrix<double>& src) {
  ASSERT_EQ(dst.rows(), src.rows());
  ASSERT_EQ(dst.cols(), src.cols());
  for (std::size_t i = 0; i < src.size(); ++i)
    dst.data()[i] = static_cast<T>(src.data()[i]);
}

// |got - want| <= tolerance · max(1, |want|) element by element.
template <typename T>
void expect_matrix_near(MatrixView<const T> got, const Matrix<double>& want, double tolerance,
                        const std::string& what) {
  ASSERT_EQ(got.rows, want.rows()) << what;
  ASSERT_EQ(got.cols, want.cols()) << what;
  double worst = 0;
  std::size_t where = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double error = std::abs(static_cast<double>(got.data[i]) - want.data()[i]) /
                         std::max(1.0, std::abs(want.data()[i]));
    if (error > worst) {
      worst = error;
      where = i;
    }
  }
  EXPECT_LE(worst, tolerance) << what << ": element " << where << " is "
                              << static_cast<double>(got.data[where]) << ", PyTorch "
                              << want.data()[where];
}

// Loads the case's parameters and state into `layer`, runs forward (in the case's mode) and
// backward with its dy, and compares y, dx, every parameter gradient and, where given, the state
// after the forward with PyTorch's values.
template <typename T>
void expect_layer_matches(Layer<T>& layer, const LayerGoldenCase& c, double tolerance) {
  LayerBuffers<T> buffers(layer);
  Rng init(1);
  layer.initialize(init);
  for (const auto& name : buffers.parameter_names()) {
    ASSERT_TRUE(c.has(name)) << c.label() << ": no PyTorch value for " << name;
    copy_into(buffers.value(name), c.at(name));
  }
  for (const auto& name : buffers.state_names()) {
    ASSERT_TRUE(c.has(name)) << c.label() << ": no PyTorch value for " << name;
    copy_into(buffers.state(name), c.at(name));
  }
  const Matrix<T> x = converted<T>(c.at("x")), dy = converted<T>(c.at("dy"));
  Matrix<T> y(x.rows(), layer.output_size()), dx(x.rows(), layer.input_size());
  Rng rng(2);
  layer.forward(x.view(), y.view(), {.training = c.training, .rng = &rng});
  expect_matrix_near<T>(y.view(), c.at("y"), tolerance, c.label() + " y");
  for (const auto& name : buffers.state_names())
    if (c.has(name + "_after"))
      expect_matrix_near<T>(buffers.state(name).view(), c.at(name + "_after"), tolerance,
                            c.label() + " " + name + " after the forward");
  layer.backward(dy.view(), dx.view());
  expect_matrix_near<T>(dx.view(), c.at("dx"), tolerance, c.label() + " dx");
  for (const auto& name : buffers.parameter_names())
    expect_matrix_near<T>(buffers.grad(name).view(), c.at(name + "_grad"), tolerance,
                          c.label() + " d" + name);
  if (c.has("x_second")) {  // a second training batch: the running averages' recursion
    const Matrix<T> x2 = converted<T>(c.at("x_second"));
    layer.forward(x2.view(), y.view(), {.training = c.training, .rng = &rng});
    for (const auto& name : buffers.state_names())
      expect_matrix_near<T>(buffers.state(name).view(), c.at(name + "_after_second"), tolerance,
                            c.label() + " " + name + " after a second forward");
  }
}

}  // namespace actlab::test
