// libFuzzer target: any text given as a configuration yields either a validated configuration or
// a ConfigError (or yaml-cpp's own parse error), never a crash, a leak or a hang.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const YAML::Node root = YAML::Load(text);
    const actlab::ExperimentConfig config = actlab::parse_config(root, "fuzz.yaml");
    YAML::Dump(actlab::to_yaml(config));  // the resolved form must be writable too
  } catch (const actlab::ConfigError&) {
  } catch (const YAML::Exception&) {
  }
  return 0;
}
