#pragma once
// The single-core rate of each GEMM engine (framework/actlab/core/gemm_engine.hpp) on each product
// of the reference workloads, and the engine table made from them: per shape, the engine that
// measured faster. `actlab bench` prints it, uses it for its best-engine figures, and with
// --save-gemm-table writes it where `actlab run` reads it (ACTLAB_GEMM=auto).
#include <cstddef>
#include <vector>

#include "actlab/core/gemm_engine.hpp"

namespace actlab::bench {

// The products of one training step of a network with these widths (inputs first), as Linear
// makes them: forward Z = A Wᵀ (beta 1), dW = dZᵀ A, and dA = dZ W for all layers but the first.
std::vector<GemmShape> training_gemm_shapes(const std::vector<std::size_t>& widths,
                                            std::size_t batch);

struct EngineRate {
  GemmShape shape;
  double openblas = 0, libxsmm = 0;  // GFLOP/s on one core; libxsmm 0 when it has no kernel
};

// Each shape on each engine, on the calling thread, for about `seconds` each (OpenBLAS set to one
// thread).
std::vector<EngineRate> measure_engine_rates(const std::vector<GemmShape>& shapes,
                                             double seconds = 0.05);

// libxsmm where it measured faster than OpenBLAS by more than a timing's noise, else OpenBLAS.
GemmEngineTable engine_table(const std::vector<EngineRate>& rates);

}  // namespace actlab::bench
