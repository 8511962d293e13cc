#include "run_command.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/build_info.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/core/gemm_engine.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/experiment/study_summary.hpp"
#include "actlab/experiment/sweep.hpp"
#include "actlab/train/checkpoint.hpp"
#include "actlab/train/memory_estimate.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"
#include "command_line.hpp"
#include "exit_codes.hpp"
#include "memory_check.hpp"
#include "results_folder.hpp"
#include "study_command.hpp"
#include "thread_count.hpp"

namespace actlab::cli {
namespace {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

nlohmann::json run_metadata(const ExperimentConfig& config, const RunOptions& options) {
  nlohmann::json j;
  j["name"] = config.name;
  j["config_file"] = options.config.string();
  j["overrides"] = options.overrides;
  if (options.cell) j["cell"] = *options.cell;
  j["config_digest"] = config_digest(config);
  j["seed"] = config.seed;
  j["threads"] = config.threads > 0 ? config.threads : available_cores();
  j["actlab_version"] = std::string(actlab_version());
  j["git_commit"] = std::string(git_commit());
  j["libraries"] = library_versions();
  j["host"] = host_name();
  j["started_at"] = utc_now();
  const GemmEnginePolicy& gemm = gemm_engine_policy();
  j["gemm"] = {{"mode", mode_name(gemm.mode)}, {"libxsmm", libxsmm_status()}};
  if (gemm.mode == GemmEngineMode::kAuto) j["gemm"]["table"] = gemm.table_source;
  return j;
}

// The engine each product shape ran on (gemm_engine.hpp), added to run.json's "gemm" at the end.
nlohmann::json gemm_engines_record() {
  nlohmann::json engines = nlohmann::json::object();
  for (const auto& [shape, engine] : gemm_engines_used())
    engines[shape.text()] = engine_name(engine);
  return engines;
}

// The run.json of an earlier session, or null.
nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nullptr;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

// Adds the run's log.txt sink to the default logger for as long as it lives.
class RunLogFile {
 public:
  explicit RunLogFile(spdlog::sink_ptr sink) : sink_(std::move(sink)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~RunLogFile() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  RunLogFile(const RunLogFile&) = delete;
  RunLogFile& operator=(const RunLogFile&) = delete;

 private:
  spdlog::sink_ptr sink_;
};

int exit_code(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted:
      return kExitOk;
    case RunStatus::kDiverged:
      return kExitRunFailed;
    case RunStatus::kInterrupted:
      return kExitInterrupted;
  }
  return kExitOk;
}

// What a run trains and where: a configuration, or one cell of a study (--cell).
struct RunTarget {
  ExperimentConfig config;
  std::filesystem::path dir;
  std::string source;  // for config.yaml's header: the file, and the cell
};

RunTarget resolve_run(const RunOptions& options) {
  RunTarget target;
  std::filesystem::path default_dir;
  target.source = options.config.string();
  if (options.cell) {
    const Study study = load_study(options.config, options.overrides);
    const StudyCell* cell = study.find(*options.cell);
    if (cell == nullptr)
      throw ConfigError(options.config.string() + ": the study has no cell '" + *options.cell +
                        "' (e.g. '" + study.cells.front().id + "')");
    target.config = cell->config;
    default_dir = study.output_dir / cell->id;
    target.source += ", cell " + cell->id;
    check_cell_folder(*cell, options.out ? *options.out : default_dir);
  } else {
    target.config = load_config(options.config, options.overrides);
    default_dir = target.config.output.dir / target.config.name;
  }
  if (options.threads) target.config.threads = *options.threads;
  target.dir = options.out ? *options.out : default_dir;
  return target;
}

// Writes config.yaml and run.json, and returns run.json's record. A resumed run keeps the first
// session's record and adds this session to it.
nlohmann::json write_run_record(RunOutput& output, const RunTarget& target,
                                const RunOptions& options, bool resuming,
                                std::size_t completed_epochs) {
  YAML::Emitter resolved;
  resolved << to_yaml(target.config);
  output.write_text("config.yaml", "# resolved configuration of " + target.source + "\n" +
                                       resolved.c_str() + "\n");
  nlohmann::json metadata = run_metadata(target.config, options);
  if (resuming) {
    nlohmann::json first = read_json(output.path("run.json"));
    if (first.is_object()) {
      nlohmann::json session = {{"started_at", metadata["started_at"]},
                                {"host", metadata["host"]},
                                {"threads", metadata["threads"]},
                                {"git_commit", metadata["git_commit"]},
                                {"from_epoch", completed_epochs}};
      first["resumed"].push_back(session);
      metadata = first;
    }
  }
  output.write_json("run.json", metadata);
  return metadata;
}

// Which engine multiplies, unless it is the default's OpenBLAS for every product.
void log_gemm_engines() {
  const GemmEnginePolicy& gemm = gemm_engine_policy();
  if (gemm.mode == GemmEngineMode::kLibxsmm && libxsmm_available())
    spdlog::info("GEMM: libxsmm ({}) where it has a kernel, OpenBLAS elsewhere (ACTLAB_GEMM)",
                 libxsmm_status());
  else if (gemm.mode == GemmEngineMode::kOpenBlas)
    spdlog::info("GEMM: OpenBLAS for every product (ACTLAB_GEMM)");
  else if (gemm.table)
    spdlog::info("GEMM: the engine of each shape from {} (OpenBLAS for shapes it lacks)",
                 gemm.table_source);
}

void log_model(Trainer& trainer, const RunTarget& target, const DataSplits& data) {
  std::ostringstream layers;
  for (std::size_t i = 0; i < trainer.network().layer_count(); ++i)
    layers << (i ? " → " : "") << trainer.network().layer(i).kind() << "("
           << trainer.network().layer(i).output_size() << ")";
  const ExperimentConfig& config = target.config;
  const int threads = config.threads > 0 ? config.threads : available_cores();
  spdlog::info("model: {} → {} ({} parameters); {} thread{}; seed {}; output {}",
               data.train.features, layers.str(), trainer.network().parameters().size(), threads,
               threads == 1 ? "" : "s", config.seed, target.dir.string());
}

void log_result(const RunResult& result, const std::filesystem::path& dir,
                const RunOptions& options) {
  switch (result.status) {
    case RunStatus::kCompleted: {
      if (result.initial) {
        spdlog::info("done in {:.1f}s: the initial network only (train.epochs 0); results in {}",
                     result.seconds, dir.string());
        break;
      }
      const auto& last = result.epochs.empty() ? EpochMetrics{} : result.epochs.back();
      spdlog::info("done in {:.1f}s: test accuracy {:.4f}; results in {}", result.seconds,
                   last.test.accuracy, dir.string());
      break;
    }
    case RunStatus::kDiverged:
      spdlog::error("{}; results so far in {}", result.message, dir.string());
      break;
    case RunStatus::kInterrupted:
      spdlog::warn("{}; results so far in {}; continue with: {}", result.message, dir.string(),
                   resume_command(options.command_line));
      break;
  }
}

DataSplits load_run_data(const ExperimentConfig& config) {
  spdlog::info("loading {} ...", config.data.dataset);
  DataSplits data = load_data(config.data, config.seed);
  spdlog::info("data: {} train / {} validation / {} test examples of {} features, {} classes",
               data.train.size(), data.validation.size(), data.test.size(), data.train.features,
               data.train.classes);
  return data;
}

MemoryEstimate run_memory(const ExperimentConfig& config, const DataSplits& data) {
  return estimate_run_memory(config, data_shape(data),
                             config.threads > 0 ? config.threads : available_cores());
}

// --dry-run: the resolved configuration and the memory estimate on stdout; nothing is trained or
// written. A run that would not fit is refused as it would be without --dry-run.
int dry_run_single(const RunTarget& target) {
  const DataSplits data = load_run_data(target.config);
  const MemoryEstimate estimate = run_memory(target.config, data);
  const AvailableMemory available = available_memory();
  YAML::Emitter resolved;
  resolved << to_yaml(target.config);
  std::printf("# resolved configuration of %s\n%s\n# output folder: %s\n%s", target.source.c_str(),
              resolved.c_str(), target.dir.string().c_str(),
              memory_report(estimate, available).c_str());
  std::fflush(stdout);
  check_run_fits(estimate, target.config, available, "the run");
  return kExitOk;
}

// One run, into its folder; with --resume it continues from the folder's checkpoint.
int run_single(const RunOptions& options, const std::atomic<bool>& stop_requested) {
  const RunTarget target = resolve_run(options);
  const std::filesystem::path& dir = target.dir;
  if (target.config.threads > 0)
    check_thread_count(target.config.threads, options.threads ? "--threads" : "threads");
  if (options.dry_run) return dry_run_single(target);
  const CellResult before = read_cell_result(dir, std::nullopt);
  if (options.resume && before.finished()) {
    check_same_configuration(dir, target.config, before, options.config.string(),
                             "to replace them, run with --overwrite instead of --resume; for a "
                             "new run, choose another folder with --out");
    spdlog::info("{} is finished ({}); nothing to resume", dir.string(), before.status);
    return before.status == "completed" ? kExitOk : kExitRunFailed;
  }
  if (!options.resume && !options.overwrite && before.status != "pending")
    throw ConfigError(dir.string() + " already holds the results of a run (" + before.status +
                      "); add --resume to continue it, --overwrite to replace its results, or "
                      "choose a new folder with --out (or a new name: --set name=NEW)");

  const DataSplits data = load_run_data(target.config);
  check_run_fits(run_memory(target.config, data), target.config, available_memory(), "the run");

  RunOutput output(dir);
  Trainer trainer(target.config, data);
  const bool resuming = options.resume && std::filesystem::exists(output.path("checkpoint.bin"));
  if (resuming)
    trainer.resume_from(read_checkpoint(output.path("checkpoint.bin")), output);
  else
    output.clear_results();
  RunLogFile log_file(output.log_sink());
  const nlohmann::json metadata =
      write_run_record(output, target, options, resuming, trainer.completed_epochs());
  log_model(trainer, target, data);
  log_gemm_engines();
  if (resuming)
    spdlog::info("resuming after epoch {} of {} from {}", trainer.completed_epochs(),
                 target.config.train.epochs, output.path("checkpoint.bin").string());

  clear_gemm_engines_used();
  const RunResult result = trainer.run(&output, &stop_requested);
  nlohmann::json record = metadata;
  record["gemm"]["engines"] = gemm_engines_record();
  output.write_json("run.json", record);
  nlohmann::json summary = result.summary();
  summary["run"] = record;
  log_result(result, dir, options);
  output.flush_log();
  output.write_json("summary.json", summary);  // last: its presence marks a finished run
  return exit_code(result.status);
}

}  // namespace

int run_command(const RunOptions& options, const std::atomic<bool>& stop_requested) {
  if (options.cell && options.shard)
    throw ConfigError("--cell " + *options.cell +
                      " runs that one cell, whichever shard it is in: leave out --shard");
  if (options.resume && options.overwrite)
    throw ConfigError(
        "--resume continues the results in the folder and --overwrite replaces them: "
        "give one of them");
  const bool study = is_study_file(options.config, options.overrides);
  if (study && !options.cell && options.overwrite)
    throw ConfigError(options.config.string() +
                      ": --overwrite applies to a single run; to start a study over, remove its "
                      "folder (or give it a new name)");
  if (study && !options.cell) return study_command(options, stop_requested);
  if (!study && (options.jobs || options.shard || options.cell))
    throw ConfigError(options.config.string() +
                      ": --jobs, --shard and --cell apply to studies (a configuration with a "
                      "sweep: block)");
  return run_single(options, stop_requested);
}

}  // namespace actlab::cli
