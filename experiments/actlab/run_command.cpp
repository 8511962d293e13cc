#include "run_command.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <ctime>
#include <sstream>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/build_info.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"

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
  j["seed"] = config.seed;
  j["threads"] = config.threads > 0 ? config.threads : available_cores();
  j["actlab_version"] = std::string(actlab_version());
  j["git_commit"] = std::string(git_commit());
  j["libraries"] = library_versions();
  j["host"] = host_name();
  j["started_at"] = utc_now();
  return j;
}

// Adds log.txt of the run folder to the default logger for as long as it lives.
class RunLogFile {
 public:
  explicit RunLogFile(const std::filesystem::path& file)
      : sink_(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), true)) {
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

}  // namespace

int run_command(const RunOptions& options, const std::atomic<bool>& stop_requested) {
  try {
    ExperimentConfig config = load_config(options.config, options.overrides);
    if (options.threads) config.threads = *options.threads;
    const std::filesystem::path dir = options.out ? *options.out : config.output.dir / config.name;

    spdlog::info("loading {} ...", config.data.dataset);
    const DataSplits data = load_data(config.data, config.seed);
    spdlog::info("data: {} train / {} validation / {} test examples of {} features, {} classes",
                 data.train.size(), data.validation.size(), data.test.size(), data.train.features,
                 data.train.classes);

    RunOutput output(dir);
    output.clear_results();
    YAML::Emitter resolved;
    resolved << to_yaml(config);
    output.write_text("config.yaml", std::string("# resolved configuration of ") +
                                         options.config.string() + "\n" + resolved.c_str() + "\n");
    nlohmann::json metadata = run_metadata(config, options);
    output.write_json("run.json", metadata);
    RunLogFile log_file(output.path("log.txt"));

    Trainer trainer(config, data);
    std::ostringstream layers;
    for (std::size_t i = 0; i < trainer.network().layer_count(); ++i)
      layers << (i ? " → " : "") << trainer.network().layer(i).kind() << "("
             << trainer.network().layer(i).output_size() << ")";
    spdlog::info("model: {} → {} ({} parameters); {} threads; seed {}; output {}",
                 data.train.features, layers.str(), trainer.network().parameters().size(),
                 metadata["threads"].get<int>(), config.seed, dir.string());

    const RunResult result = trainer.run(&output, &stop_requested);
    nlohmann::json summary = result.summary();
    summary["run"] = metadata;
    output.write_json("summary.json", summary);

    switch (result.status) {
      case RunStatus::kCompleted: {
        if (result.initial) {
          spdlog::info("done in {:.1f}s: the initial network only (train.epochs 0); results in {}",
                       result.seconds, dir.string());
          return kExitOk;
        }
        const auto& last = result.epochs.empty() ? EpochMetrics{} : result.epochs.back();
        spdlog::info("done in {:.1f}s: test accuracy {:.4f}; results in {}", result.seconds,
                     last.test.accuracy, dir.string());
        return kExitOk;
      }
      case RunStatus::kDiverged:
        spdlog::error("{}; results so far in {}", result.message, dir.string());
        return kExitRunFailed;
      case RunStatus::kInterrupted:
        spdlog::warn("{}; results so far in {}", result.message, dir.string());
        return kExitInterrupted;
    }
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const DataError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const OutputError& e) {
    spdlog::error("{}", e.what());
    return kExitOutputError;
  }
  return kExitOk;
}

}  // namespace actlab::cli
