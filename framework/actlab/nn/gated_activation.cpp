#include "actlab/nn/gated_activation.hpp"

#include <stdexcept>

#include "actlab/nn/activation_functions.hpp"

namespace actlab {
namespace {

// Row loops for one gate rule G (an elementwise activation without parameters).
// a, b, y, gate: one row of h values each.
template <typename G, typename T>
void gate_forward(const T* __restrict a, const T* __restrict b, T* __restrict y, T* __restrict gate,
                  std::size_t h) {
  const ActivationParams<T> none{};
#pragma omp simd
  for (std::size_t j = 0; j < h; ++j) {
    gate[j] = G::f(b[j], none);
    y[j] = a[j] * gate[j];
  }
}

// da = dy ⊙ g(b), db = dy ⊙ a ⊙ g'(b)
template <typename G, typename T>
void gate_backward(const T* __restrict dy, const T* __restrict a, const T* __restrict b,
                   const T* __restrict gate, T* __restrict da, T* __restrict db, std::size_t h) {
  const ActivationParams<T> none{};
#pragma omp simd
  for (std::size_t j = 0; j < h; ++j) {
    da[j] = dy[j] * gate[j];
    db[j] = dy[j] * a[j] * G::df(b[j], gate[j], none);
  }
}

struct GateSpec {
  GateKind kind;
  std::string_view name;
  std::string_view formula;
  std::string_view derivative;
  Saturation saturates;
};

constexpr GateSpec kGates[] = {
    {GateKind::kGlu, "glu", "a ⊙ σ(b),  [a | b] = x split into halves",
     "d/da = σ(b),  d/db = a σ(b) (1 - σ(b))", Saturation::kBoth},
    {GateKind::kSwiglu, "swiglu", "a ⊙ silu(b) = a ⊙ b σ(b),  [a | b] = x split into halves",
     "d/da = silu(b),  d/db = a (s + b s (1 - s)),  s = σ(b)", Saturation::kNegative},
    {GateKind::kGeglu, "geglu", "a ⊙ gelu(b) = a ⊙ b Φ(b),  [a | b] = x split into halves",
     "d/da = gelu(b),  d/db = a (Φ(b) + b φ(b))", Saturation::kNegative},
};

const GateSpec& spec_of(GateKind kind) {
  for (const GateSpec& spec : kGates)
    if (spec.kind == kind) return spec;
  throw std::logic_error("unknown gate kind");
}

}  // namespace

template <typename T>
GatedActivation<T>::GatedActivation(GateKind gate, std::size_t width)
    : gate_(gate), half_(width / 2) {
  if (width % 2 != 0)
    throw std::logic_error(std::string(spec_of(gate).name) + " needs an even input width, got " +
                           std::to_string(width));
}

template <typename T>
std::string GatedActivation<T>::kind() const {
  return std::string(spec_of(gate_).name);
}

template <typename T>
void GatedActivation<T>::forward(MatrixView<const T> x, MatrixView<T> y, const ForwardContext&) {
  x_ = x;
  gate_values_.resize(x.rows, half_);
  for (std::size_t r = 0; r < x.rows; ++r) {
    const T* a = x.row(r);
    const T* b = a + half_;
    T* gate = gate_values_.data() + r * half_;
    switch (gate_) {
      case GateKind::kGlu:
        gate_forward<activations::Sigmoid>(a, b, y.row(r), gate, half_);
        break;
      case GateKind::kSwiglu:
        gate_forward<activations::Silu>(a, b, y.row(r), gate, half_);
        break;
      case GateKind::kGeglu:
        gate_forward<activations::Gelu>(a, b, y.row(r), gate, half_);
        break;
    }
  }
}

template <typename T>
void GatedActivation<T>::backward(MatrixView<const T> dy, MatrixView<T> dx) {
  if (dx.data == nullptr) return;
  for (std::size_t r = 0; r < dy.rows; ++r) {
    const T* a = x_.row(r);
    const T* b = a + half_;
    const T* gate = gate_values_.data() + r * half_;
    T* da = dx.row(r);
    T* db = da + half_;
    switch (gate_) {
      case GateKind::kGlu:
        gate_backward<activations::Sigmoid>(dy.row(r), a, b, gate, da, db, half_);
        break;
      case GateKind::kSwiglu:
        gate_backward<activations::Silu>(dy.row(r), a, b, gate, da, db, half_);
        break;
      case GateKind::kGeglu:
        gate_backward<activations::Gelu>(dy.row(r), a, b, gate, da, db, half_);
        break;
    }
  }
}

template class GatedActivation<float>;
template class GatedActivation<double>;

std::vector<ActivationInfo> gated_activation_infos() {
  std::vector<ActivationInfo> infos;
  for (const GateSpec& spec : kGates) {
    ActivationInfo info;
    info.name = spec.name;
    info.formula = spec.formula;
    info.derivative = spec.derivative;
    // Properties of the output as a function of the gate input b (a passes through linearly).
    info.properties = {.output_range = "(-inf, inf)",
                       .monotonic = false,
                       .smooth = true,
                       .zero_centred = true,
                       .saturates = spec.saturates};
    info.width_multiplier = 2;
    const GateKind kind = spec.kind;
    info.make_float = [kind](std::size_t width, const ActivationParams<double>&) {
      return std::unique_ptr<Layer<float>>(new GatedActivation<float>(kind, width));
    };
    info.make_double = [kind](std::size_t width, const ActivationParams<double>&) {
      return std::unique_ptr<Layer<double>>(new GatedActivation<double>(kind, width));
    };
    info.elementwise = false;
    infos.push_back(std::move(info));
  }
  return infos;
}

}  // namespace actlab
