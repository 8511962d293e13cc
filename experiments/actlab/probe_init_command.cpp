#include "probe_init_command.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/error.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"
#include "run_command.hpp"

namespace actlab::cli {
namespace {

// Raises the log level to warnings for as long as it lives.
class QuietLog {
 public:
  QuietLog() : level_(spdlog::get_level()) { spdlog::set_level(spdlog::level::warn); }
  ~QuietLog() { spdlog::set_level(level_); }
  QuietLog(const QuietLog&) = delete;
  QuietLog& operator=(const QuietLog&) = delete;

 private:
  spdlog::level::level_enum level_;
};

// The metrics of the terminal table, in its column order.
const std::vector<std::string> kTableMetrics = {"grad_norm_weight", "weight_norm", "activation_std",
                                                "dead_fraction", "saturated_fraction"};

struct MeanStd {
  double mean = 0, std = 0;
  std::size_t count = 0;
};

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd m;
  for (double v : values)
    if (std::isfinite(v)) {
      m.mean += v;
      ++m.count;
    }
  if (m.count == 0) return m;
  m.mean /= static_cast<double>(m.count);
  for (double v : values)
    if (std::isfinite(v)) m.std += (v - m.mean) * (v - m.mean);
  m.std = m.count > 1 ? std::sqrt(m.std / static_cast<double>(m.count - 1)) : 0.0;
  return m;
}

std::string format(const MeanStd& m) {
  if (m.count == 0) return "—";
  char text[48];
  std::snprintf(text, sizeof(text), "%.3g ± %.2g", m.mean, m.std);
  return text;
}

// probes.csv's rows "run,step,epoch,layer,metric,value" with the seed inserted after the run; the
// (layer, metric) values are collected for the table on the way.
void append_rows(const std::string& csv, std::uint64_t seed, std::string& out,
                 std::map<std::pair<std::string, std::string>, std::vector<double>>& values) {
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const auto comma = line.find(',');
    out += line.substr(0, comma) + "," + std::to_string(seed) + line.substr(comma) + "\n";
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ','))
      fields.push_back(field);
    if (fields.size() == 6) values[{fields[3], fields[4]}].push_back(std::stod(fields[5]));
  }
}

void print_table(std::ostream& table,
                 const std::map<std::pair<std::string, std::string>, std::vector<double>>& values,
                 const std::vector<double>& initial_loss) {
  std::vector<std::string> layers;  // numeric order
  for (const auto& [key, v] : values)
    if (!key.first.empty() && std::find(layers.begin(), layers.end(), key.first) == layers.end())
      layers.push_back(key.first);
  std::sort(layers.begin(), layers.end(), [](const std::string& a, const std::string& b) {
    return std::stoul(a) < std::stoul(b);
  });
  char line[256];
  std::snprintf(line, sizeof(line), "%-6s", "layer");
  table << line;
  for (const auto& metric : kTableMetrics) {
    std::snprintf(line, sizeof(line), "  %-20s", metric.c_str());
    table << line;
  }
  table << "\n";
  for (const auto& layer : layers) {
    std::snprintf(line, sizeof(line), "%-6s", layer.c_str());
    table << line;
    for (const auto& metric : kTableMetrics) {
      const auto it = values.find({layer, metric});
      const std::string cell = it == values.end() ? "—" : format(mean_std(it->second));
      // "±" and "—" are 2 and 3 bytes in UTF-8 but one column: pad by columns, not bytes.
      std::size_t columns = 0;
      for (unsigned char c : cell)
        columns += (c & 0xC0) != 0x80;
      table << "  " << cell << std::string(columns < 20 ? 20 - columns : 0, ' ');
    }
    table << "\n";
  }
  for (const std::string metric : {"vanishing_ratio", "grad_norm_global"}) {
    const auto it = values.find({"", metric});
    if (it != values.end()) table << metric << ": " << format(mean_std(it->second)) << "\n";
  }
  table << "initial test loss: " << format(mean_std(initial_loss)) << " (ln 10 = 2.303)\n";
}

}  // namespace

int probe_init_command(const ProbeInitOptions& options, std::ostream& table) {
  try {
    ExperimentConfig config = load_config(options.config, options.overrides);
    if (options.threads) config.threads = *options.threads;
    if (options.first_seed) config.seed = *options.first_seed;
    if (options.seeds == 0) throw ConfigError("--seeds must be at least 1");
    config.train.epochs = 0;
    config.probes.enabled = true;
    config.probes.warnings = false;  // one summary below instead of a warning per network
    const std::filesystem::path dir =
        options.out ? *options.out : config.output.dir / (config.name + "-probe-init");

    // One data split for all the networks (from the first seed): only the networks vary.
    const DataSplits data = load_data(config.data, config.seed);
    RunOutput output(dir);
    output.clear_results();
    YAML::Emitter resolved;
    resolved << to_yaml(config);
    output.write_text("config.yaml", std::string("# resolved configuration of ") +
                                         options.config.string() + " (probe-init)\n" +
                                         resolved.c_str() + "\n");

    std::string csv = "run,seed,step,epoch,layer,metric,value\n";
    std::map<std::pair<std::string, std::string>, std::vector<double>> values;
    std::vector<double> initial_loss;
    nlohmann::json networks = nlohmann::json::array();
    const std::uint64_t first = config.seed;
    {
      QuietLog quiet;  // no per-network log lines
      for (std::uint64_t seed = first; seed < first + options.seeds; ++seed) {
        ExperimentConfig c = config;
        c.seed = seed;
        Trainer trainer(c, data);
        const RunResult result = trainer.run();
        append_rows(trainer.probes()->csv(), seed, csv, values);
        nlohmann::json j = result.initial->to_json();
        j.erase("seconds");
        j.erase("samples_per_second");
        j["seed"] = seed;
        networks.push_back(j);
        initial_loss.push_back(result.initial->test.loss);
      }
    }
    output.write_text("probe_init.csv", csv);
    nlohmann::json summary;
    summary["config_file"] = options.config.string();
    summary["seeds"] = {first, first + options.seeds - 1};
    summary["networks"] = networks;
    output.write_json("summary.json", summary);

    table << "probe-init: " << options.seeds << " networks (seeds " << first << ".."
          << first + options.seeds - 1 << ") at initialisation; mean ± sd over seeds\n";
    print_table(table, values, initial_loss);
    spdlog::info("probe table in {}", (dir / "probe_init.csv").string());
    return kExitOk;
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
}

}  // namespace actlab::cli
