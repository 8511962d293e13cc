#include "results_folder.hpp"

#include "actlab/core/error.hpp"

namespace actlab::cli {

void check_same_configuration(const std::filesystem::path& dir, const ExperimentConfig& config,
                              const CellResult& result, const std::string& config_file,
                              const std::string& remedy) {
  if (result.config_digest.empty() || result.config_digest == config_digest(config)) return;
  std::string difference;
  try {
    difference = config_difference(training_fingerprint(load_config(dir / "config.yaml")),
                                   training_fingerprint(config));
  } catch (const Error&) {
  }
  throw ConfigError(dir.string() + " holds results of a different configuration than " +
                    config_file + " gives now" +
                    (difference.empty() ? "" : " (" + difference + ")") + "; " + remedy);
}

}  // namespace actlab::cli
