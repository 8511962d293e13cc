#include "actlab/core/gemm_engine.hpp"

#include <cblas.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actlab/core/atomic_file.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/json_text.hpp"

#ifdef ACTLAB_WITH_LIBXSMM
#include <libxsmm.h>
#endif

namespace actlab {
namespace {

CBLAS_TRANSPOSE to_cblas(Transpose t) {
  return t == Transpose::kYes ? CblasTrans : CblasNoTrans;
}

#ifdef ACTLAB_WITH_LIBXSMM
// libxsmm is column-major: row-major C = op(A) op(B) is its Cᵀ = op(B)ᵀ op(A)ᵀ, where a row-major
// operand read column-major is already its transpose. So B comes first, and B's transpose flag is
// libxsmm's A flag. Its kernels take alpha = 1 and beta 0 or 1 only.
int libxsmm_flags(Transpose ta, Transpose tb) {
  return (tb == Transpose::kYes ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) |
         (ta == Transpose::kYes ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
}
bool libxsmm_takes(double alpha, double beta) {
  return alpha == 1.0 && (beta == 0.0 || beta == 1.0);
}
libxsmm_smmfunction libxsmm_kernel(Transpose ta, Transpose tb, int m, int n, int k, int lda,
                                   int ldb, int ldc, float beta) {
  const int flags = libxsmm_flags(ta, tb);
  const float alpha = 1.0f;
  return libxsmm_smmdispatch(n, m, k, &ldb, &lda, &ldc, &alpha, &beta, &flags, nullptr);
}
libxsmm_dmmfunction libxsmm_kernel(Transpose ta, Transpose tb, int m, int n, int k, int lda,
                                   int ldb, int ldc, double beta) {
  const int flags = libxsmm_flags(ta, tb);
  const double alpha = 1.0;
  return libxsmm_dmmdispatch(n, m, k, &ldb, &lda, &ldc, &alpha, &beta, &flags, nullptr);
}
// Whether libxsmm generates a kernel for the whole of `shape` (with contiguous operands).
bool libxsmm_has_kernel(const GemmShape& s) {
  const int m = static_cast<int>(s.m), n = static_cast<int>(s.n), k = static_cast<int>(s.k);
  const int lda = s.ta == Transpose::kYes ? m : k, ldb = s.tb == Transpose::kYes ? k : n;
  if (s.is_double) return libxsmm_kernel(s.ta, s.tb, m, n, k, lda, ldb, n, 0.0);
  return libxsmm_kernel(s.ta, s.tb, m, n, k, lda, ldb, n, 0.0f);
}
#endif

template <typename T, typename Blas>
bool run_engine(GemmEngine engine, Transpose ta, Transpose tb, int m, int n, int k, T alpha,
                const T* a, int lda, const T* b, int ldb, T beta, T* c, int ldc, Blas blas) {
  if (engine == GemmEngine::kLibxsmm) {
#ifdef ACTLAB_WITH_LIBXSMM
    if (!libxsmm_takes(alpha, beta)) return false;
    const auto kernel = libxsmm_kernel(ta, tb, m, n, k, lda, ldb, ldc, beta);
    if (kernel == nullptr) return false;
    kernel(b, a, c);
    return true;
#else
    return false;
#endif
  }
  blas(CblasRowMajor, to_cblas(ta), to_cblas(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return true;
}

// The policy, the engine each shape was given under it, and the lock that guards both: gemm()
// takes it once per product (not per block), so that a team's members never wait on it.
struct EngineState {
  std::mutex mutex;
  std::optional<GemmEnginePolicy> policy;
  std::map<GemmShape, GemmEngine> used;
};
EngineState& state() {
  static EngineState s;
  return s;
}

GemmEnginePolicy policy_from_environment() {
  GemmEnginePolicy policy;
  const char* given = std::getenv("ACTLAB_GEMM");
  const std::string mode = given ? given : "auto";
  if (mode == "openblas") {
    policy.mode = GemmEngineMode::kOpenBlas;
  } else if (mode == "libxsmm") {
    policy.mode = GemmEngineMode::kLibxsmm;
    if (!libxsmm_available())
      spdlog::info("ACTLAB_GEMM=libxsmm, but {}: OpenBLAS computes every product",
                   libxsmm_status());
  } else if (mode == "auto" || mode.empty()) {
    const std::filesystem::path file = default_gemm_table_path();
    policy.table_source = file.string();
    if (!std::filesystem::exists(file)) {
      policy.table_source = "none (" + file.string() + " does not exist)";
      return policy;
    }
    try {
      GemmEngineTable table = read_gemm_table(file);
      if (table.cpu != this_cpu_model()) {
        spdlog::warn("{} was measured on another CPU ({}): OpenBLAS computes every product",
                     file.string(), table.cpu);
        policy.table_source = "none (" + file.string() + " is of another CPU)";
      } else if (!libxsmm_available()) {
        spdlog::info("{}: OpenBLAS computes every product", libxsmm_status());
        policy.table_source = "none (" + libxsmm_status() + ")";
      } else {
        policy.table = std::move(table);
      }
    } catch (const Error& e) {
      spdlog::warn("{}: OpenBLAS computes every product", e.what());
      policy.table_source = "none (" + file.string() + " cannot be read)";
    }
  } else {
    throw ConfigError("ACTLAB_GEMM=" + mode + ": expected openblas, libxsmm or auto");
  }
  return policy;
}

const GemmEnginePolicy& locked_policy(EngineState& s) {
  if (!s.policy) s.policy = policy_from_environment();
  return *s.policy;
}

}  // namespace

const char* engine_name(GemmEngine engine) {
  return engine == GemmEngine::kLibxsmm ? "libxsmm" : "openblas";
}

const char* mode_name(GemmEngineMode mode) {
  switch (mode) {
    case GemmEngineMode::kOpenBlas:
      return "openblas";
    case GemmEngineMode::kLibxsmm:
      return "libxsmm";
    case GemmEngineMode::kAuto:
      break;
  }
  return "auto";
}

std::string GemmShape::text() const {
  char out[96];
  std::snprintf(out, sizeof(out), "%s %c%c %zux%zux%zu", is_double ? "double" : "float",
                ta == Transpose::kYes ? 'T' : 'N', tb == Transpose::kYes ? 'T' : 'N', m, n, k);
  return out;
}

std::optional<GemmShape> GemmShape::parse(const std::string& text) {
  std::istringstream in(text);
  std::string type, transposes;
  char x1 = 0, x2 = 0;
  GemmShape s;
  if (!(in >> type >> transposes >> s.m >> x1 >> s.n >> x2 >> s.k) || x1 != 'x' || x2 != 'x' ||
      (type != "float" && type != "double") || transposes.size() != 2)
    return std::nullopt;
  auto transpose = [](char t) -> std::optional<Transpose> {
    if (t == 'N') return Transpose::kNo;
    if (t == 'T') return Transpose::kYes;
    return std::nullopt;
  };
  const auto ta = transpose(transposes[0]), tb = transpose(transposes[1]);
  if (!ta || !tb || !in.eof()) return std::nullopt;
  s.is_double = type == "double";
  s.ta = *ta;
  s.tb = *tb;
  return s;
}

std::string this_cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  return "unknown CPU";
}

std::filesystem::path default_gemm_table_path() {
  if (const char* file = std::getenv("ACTLAB_GEMM_TABLE"); file && *file) return file;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache)
    return std::filesystem::path(cache) / "actlab" / "gemm_engines.json";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".cache" / "actlab" /
         "gemm_engines.json";
}

GemmEngineTable read_gemm_table(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot read the GEMM engine table");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  auto bad = [&](const std::string& what) {
    return Error(file.string() + ": not a GEMM engine table (" + what +
                 "); write a new one with `actlab bench --save-gemm-table`");
  };
  if (!j.is_object() || !j.contains("cpu") || !j["cpu"].is_string() || !j.contains("shapes") ||
      !j["shapes"].is_array())
    throw bad("expected an object with \"cpu\" and \"shapes\"");
  GemmEngineTable table;
  table.cpu = j["cpu"].get<std::string>();
  for (const nlohmann::json& entry : j["shapes"]) {
    if (!entry.is_object() || !entry.contains("shape") || !entry["shape"].is_string() ||
        !entry.contains("engine") || !entry["engine"].is_string())
      throw bad("each shape needs \"shape\" and \"engine\"");
    const auto shape = GemmShape::parse(entry["shape"].get<std::string>());
    const std::string engine = entry["engine"].get<std::string>();
    if (!shape) throw bad("shape '" + entry["shape"].get<std::string>() + "'");
    if (engine != "openblas" && engine != "libxsmm") throw bad("engine '" + engine + "'");
    table.engines[*shape] = engine == "libxsmm" ? GemmEngine::kLibxsmm : GemmEngine::kOpenBlas;
    if (entry.contains("measured") && entry["measured"].is_string())
      table.measured[*shape] = entry["measured"].get<std::string>();
  }
  return table;
}

void write_gemm_table(const std::filesystem::path& file, const GemmEngineTable& table) {
  nlohmann::json shapes = nlohmann::json::array();
  for (const auto& [shape, engine] : table.engines) {
    nlohmann::json entry = {{"shape", shape.text()}, {"engine", engine_name(engine)}};
    if (const auto it = table.measured.find(shape); it != table.measured.end())
      entry["measured"] = it->second;
    shapes.push_back(entry);
  }
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  write_file_atomic(file, json_text({{"cpu", table.cpu}, {"shapes", shapes}}, 2) + "\n");
}

bool libxsmm_available() {
#ifdef ACTLAB_WITH_LIBXSMM
  static const bool available =
      libxsmm_has_kernel({false, Transpose::kNo, Transpose::kNo, 16, 16, 16});
  return available;
#else
  return false;
#endif
}

std::string libxsmm_status() {
#ifdef ACTLAB_WITH_LIBXSMM
  const std::string version = std::string("libxsmm ") + LIBXSMM_VERSION;
  if (!libxsmm_available())
    return version + " cannot generate kernels for this CPU (" + libxsmm_get_target_arch() + ")";
  return version + ", kernels for " + libxsmm_get_target_arch();
#else
  return "actlab was built without libxsmm (install libxsmm-dev and build again)";
#endif
}

const GemmEnginePolicy& gemm_engine_policy() {
  EngineState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  return locked_policy(s);
}

void set_gemm_engine_policy(GemmEnginePolicy policy) {
  EngineState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.policy = std::move(policy);
  s.used.clear();
}

GemmEngine gemm_engine_for(const GemmShape& shape, double alpha, double beta) {
  EngineState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  if (const auto it = s.used.find(shape); it != s.used.end()) return it->second;
  const GemmEnginePolicy& policy = locked_policy(s);
  GemmEngine engine = GemmEngine::kOpenBlas;
#ifdef ACTLAB_WITH_LIBXSMM
  if (libxsmm_takes(alpha, beta) && libxsmm_available()) {
    if (policy.mode == GemmEngineMode::kLibxsmm && libxsmm_has_kernel(shape))
      engine = GemmEngine::kLibxsmm;
    if (policy.mode == GemmEngineMode::kAuto && policy.table)
      if (const auto it = policy.table->engines.find(shape); it != policy.table->engines.end())
        engine = it->second;
  }
#else
  (void)alpha, (void)beta, (void)policy;
#endif
  s.used.emplace(shape, engine);  // a shape's first product: during warm-up
  return engine;
}

std::map<GemmShape, GemmEngine> gemm_engines_used() {
  EngineState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  return s.used;
}

void clear_gemm_engines_used() {
  EngineState& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.used.clear();
}

bool engine_gemm(GemmEngine engine, Transpose ta, Transpose tb, int m, int n, int k, float alpha,
                 const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  return run_engine(engine, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, cblas_sgemm);
}

bool engine_gemm(GemmEngine engine, Transpose ta, Transpose tb, int m, int n, int k, double alpha,
                 const double* a, int lda, const double* b, int ldb, double beta, double* c,
                 int ldc) {
  return run_engine(engine, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, cblas_dgemm);
}

}  // namespace actlab
