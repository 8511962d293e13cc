#include "gemm_engine_rates.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "actlab/core/matrix.hpp"
#include "actlab/core/rng.hpp"

namespace actlab::bench {
namespace {

// libxsmm replaces OpenBLAS only when faster by more than this: two timings of the same product
// differ by up to a few per cent on a quiet machine.
constexpr double kWinMargin = 1.03;

// Beta as Linear calls each product: the forward adds to the broadcast bias.
float beta_of(const GemmShape& s) {
  return s.ta == Transpose::kNo && s.tb == Transpose::kYes ? 1.0f : 0.0f;
}

// GFLOP/s of `shape` on `engine`; 0 when the engine has no kernel for it.
double engine_gflops(GemmEngine engine, const GemmShape& s, double seconds) {
  const std::size_t a_rows = s.ta == Transpose::kYes ? s.k : s.m;
  const std::size_t a_cols = s.ta == Transpose::kYes ? s.m : s.k;
  const std::size_t b_rows = s.tb == Transpose::kYes ? s.n : s.k;
  const std::size_t b_cols = s.tb == Transpose::kYes ? s.k : s.n;
  Matrix<float> a(a_rows, a_cols), b(b_rows, b_cols), c(s.m, s.n);
  Rng rng(1);
  for (Matrix<float>* x : {&a, &b})
    for (std::size_t i = 0; i < x->size(); ++i)
      x->data()[i] = static_cast<float>(rng.uniform(-0.1, 0.1));
  auto product = [&] {
    return engine_gemm(engine, s.ta, s.tb, static_cast<int>(s.m), static_cast<int>(s.n),
                       static_cast<int>(s.k), 1.0f, a.data(), static_cast<int>(a_cols), b.data(),
                       static_cast<int>(b_cols), beta_of(s), c.data(), static_cast<int>(s.n));
  };
  if (!product()) return 0;  // also the kernel's generation and the caches, untimed
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::size_t products = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 4; ++i)
      product();
    products += 4;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * static_cast<double>(s.m * s.n * s.k * products) / elapsed * 1e-9;
}

}  // namespace

std::vector<GemmShape> training_gemm_shapes(const std::vector<std::size_t>& widths,
                                            std::size_t batch) {
  std::vector<GemmShape> shapes;
  auto add = [&](Transpose ta, Transpose tb, std::size_t m, std::size_t n, std::size_t k) {
    const GemmShape shape{false, ta, tb, m, n, k};
    if (std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) shapes.push_back(shape);
  };
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const std::size_t in = widths[l], out = widths[l + 1];
    add(Transpose::kNo, Transpose::kYes, batch, out, in);            // Z = A Wᵀ
    add(Transpose::kYes, Transpose::kNo, out, in, batch);            // dW = dZᵀ A
    if (l > 0) add(Transpose::kNo, Transpose::kNo, batch, in, out);  // dA = dZ W
  }
  return shapes;
}

std::vector<EngineRate> measure_engine_rates(const std::vector<GemmShape>& shapes, double seconds) {
  set_blas_threads(1);
  std::vector<EngineRate> rates;
  for (const GemmShape& shape : shapes)
    rates.push_back({shape, engine_gflops(GemmEngine::kOpenBlas, shape, seconds),
                     engine_gflops(GemmEngine::kLibxsmm, shape, seconds)});
  return rates;
}

GemmEngineTable engine_table(const std::vector<EngineRate>& rates) {
  GemmEngineTable table;
  table.cpu = this_cpu_model();
  for (const EngineRate& r : rates) {
    table.engines[r.shape] =
        r.libxsmm > kWinMargin * r.openblas ? GemmEngine::kLibxsmm : GemmEngine::kOpenBlas;
    char measured[96];
    std::snprintf(measured, sizeof(measured), "openblas %.1f, libxsmm %.1f GFLOP/s", r.openblas,
                  r.libxsmm);
    table.measured[r.shape] = measured;
  }
  return table;
}

}  // namespace actlab::bench
