#pragma once
// An activation defined by a formula: its load-time checks, the properties the probes and
// `actlab activations` report (derived from the formula), and the elementwise layer that runs it.
//
// Load-time check, on the grid below: f and f' finite everywhere; f' (exact, formula_program.hpp)
// agrees with float64 central differences wherever no kink lies within the difference's step.
// Properties, from the same grid (dense on [-20, 20], then out to ±1000, taken as the limits):
//   dead zone    where f'(x) is exactly 0, as intervals of grid points ("x <= 0");
//   saturates    on a side where |f'(±1000)| <= 1e-6 max |f'|;
//   output range min and max of f; open where the extreme is reached only at the grid's end, and
//                ±inf where f there still grows (|f(±1000)| >= 500);
//   monotonic    f' >= 0 everywhere (or <= 0 everywhere);
//   zero-centred f(0) = 0 with outputs of both signs;
//   smooth       f' changes by at most 0.05 (1 + max |f'|) between neighbours 0.002 apart.
#include <memory>
#include <string>
#include <vector>

#include "actlab/core/compute_team.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/formula/formula_program.hpp"
#include "actlab/nn/row_parallel_layer.hpp"

namespace actlab {

// A definition with the library it was defined in (its formula may call the others by name).
struct FormulaSource {
  FormulaDefinition definition;
  FormulaLibrary library;

  bool operator==(const FormulaSource&) const = default;
};

// Everything a layer, the probes and `actlab activations` need, compiled and checked once.
struct FormulaActivation {
  FormulaSource source;
  std::vector<double> values;  // parameter values, in definition.params order
  FormulaProgram program;
  std::string output_range, dead_zone, formula_text, derivative_text;
  std::vector<ActivationParamSpec> param_specs;
  std::vector<std::string> param_meanings;
  ActivationInfo info;  // its string views point into the members above
};

// Parameter values: the definition's defaults overlaid with `overrides`; an unknown name is a
// ConfigError with the valid ones.
std::vector<double> formula_param_values(
    const FormulaDefinition& definition,
    const std::vector<std::pair<std::string, double>>& overrides);

// Compiles, checks on the grid and derives the properties. Throws FormulaError (with the column for
// a compile error, 0 for a failed check, whose message names the x).
std::shared_ptr<const FormulaActivation> make_formula_activation(const FormulaSource& source,
                                                                 const std::vector<double>& values);

// The grid the checks and properties use (ascending).
std::vector<double> formula_check_grid();

// Implemented by layers that carry their own registry entry (formula activations).
class DescribedActivation {
 public:
  virtual ~DescribedActivation() = default;
  virtual const ActivationInfo& activation_info() const = 0;
};

template <typename T>
class FormulaActivationLayer final : public Layer<T>,
                                     public RowParallelLayer<T>,
                                     public DescribedActivation {
 public:
  FormulaActivationLayer(std::shared_ptr<const FormulaActivation> activation, std::size_t width);

  std::string kind() const override { return std::string(activation_->info.name); }
  std::size_t input_size() const override { return width_; }
  std::size_t output_size() const override { return width_; }
  const ActivationInfo& activation_info() const override { return activation_->info; }

  // One tensor per learnable parameter: (1, 1), or (1, width) per unit.
  std::vector<ParameterShape> parameter_shapes() const override;
  void bind_parameters(std::span<const MatrixView<T>> values,
                       std::span<const MatrixView<T>> grads) override;
  void initialize(Rng& rng) override;

  // x, y: (batch, width). In training f' (and ∂f/∂θ) come from the same run and are kept.
  void forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  // dx = dy ⊙ f'; dθ += Σ dy ⊙ ∂f/∂θ (over the columns too when θ is shared).
  void backward(MatrixView<const T> dy, MatrixView<T> dx) override;
  bool elementwise_derivative(MatrixView<const T> x, MatrixView<T> y,
                              MatrixView<T> dydx) const override;

  bool runs_by_rows() const override { return learnable() == 0; }
  void begin_rows(MatrixView<const T> x, MatrixView<T> y, const ForwardContext& context) override;
  void forward_rows(MatrixView<const T> x, MatrixView<T> y, std::size_t first,
                    std::size_t last) override;
  void backward_rows(MatrixView<const T> dy, MatrixView<const T> x, MatrixView<T> dx,
                     std::span<const MatrixView<T>> grads, std::size_t first,
                     std::size_t last) override;

 private:
  std::size_t learnable() const { return activation_->program.learnable_count(); }
  // y (and d = f', dθ) of rows [first, last) of x, with the current learnable values.
  void run_rows(MatrixView<const T> x, MatrixView<T> y, T* d, std::size_t first,
                std::size_t last) const;

  std::shared_ptr<const FormulaActivation> activation_;
  std::size_t width_;
  std::vector<MatrixView<T>> values_, grads_;
  MatrixView<const T> x_;
  ComputeTeam* team_ = nullptr;
  Matrix<T> derivative_;                 // (batch, width): f'(x) of the last training forward
  std::vector<Matrix<T>> param_slopes_;  // per learnable θ, (batch, width): ∂f/∂θ
  bool has_derivative_ = false;
};

}  // namespace actlab
