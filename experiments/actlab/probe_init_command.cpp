#include "probe_init_command.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/error.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/experiment/sweep.hpp"
#include "actlab/train/run_output.hpp"
#include "actlab/train/trainer.hpp"
#include "exit_codes.hpp"
#include "seed_range.hpp"
#include "thread_count.hpp"

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

// The metrics of the terminal table by default (--metrics chooses others), in column order.
const std::vector<std::string> kDefaultTableMetrics = {
    "grad_norm_weight", "weight_norm", "activation_std", "dead_fraction", "saturated_fraction"};

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
// (layer, metric) values are collected for the table on the way. The run may be a quoted field
// holding commas (a study cell's id); the five fields after it never do, so they are split from
// the right.
void append_rows(const std::string& csv, std::uint64_t seed, std::string& out,
                 std::map<std::pair<std::string, std::string>, std::vector<double>>& values) {
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::array<std::size_t, 5> commas{};  // before step, epoch, layer, metric, value
    std::size_t end = line.size();
    bool complete = true;
    for (std::size_t k = 5; k-- > 0 && complete;) {
      end = end == 0 ? std::string::npos : line.rfind(',', end - 1);
      complete = end != std::string::npos;
      commas[k] = end;
    }
    if (!complete) continue;
    out += line.substr(0, commas[0]) + "," + std::to_string(seed) + line.substr(commas[0]) + "\n";
    values[{line.substr(commas[2] + 1, commas[3] - commas[2] - 1),
            line.substr(commas[3] + 1, commas[4] - commas[3] - 1)}]
        .push_back(std::stod(line.substr(commas[4] + 1)));
  }
}

// --metrics names must be per-layer metrics of the probe table.
void check_metrics(
    const std::vector<std::string>& metrics,
    const std::map<std::pair<std::string, std::string>, std::vector<double>>& values) {
  std::set<std::string> known;
  for (const auto& [key, v] : values)
    if (!key.first.empty()) known.insert(key.second);
  for (const auto& metric : metrics)
    if (!known.contains(metric)) {
      std::string list;
      for (const auto& name : known)
        list += (list.empty() ? "" : ", ") + name;
      throw ConfigError("--metrics: '" + metric + "' is not a per-layer probe metric (" + list +
                        ")");
    }
}

void print_table(std::ostream& table, const std::vector<std::string>& metrics,
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
  // Each column as wide as its name, at least 20.
  std::vector<std::size_t> widths;
  for (const auto& metric : metrics) {
    widths.push_back(std::max<std::size_t>(20, metric.size()));
    table << "  " << metric << std::string(widths.back() - metric.size(), ' ');
  }
  table << "\n";
  for (const auto& layer : layers) {
    std::snprintf(line, sizeof(line), "%-6s", layer.c_str());
    table << line;
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const auto it = values.find({layer, metrics[m]});
      const std::string cell = it == values.end() ? "—" : format(mean_std(it->second));
      // "±" and "—" are 2 and 3 bytes in UTF-8 but one column: pad by columns, not bytes.
      std::size_t columns = 0;
      for (unsigned char c : cell)
        columns += (c & 0xC0) != 0x80;
      table << "  " << cell << std::string(columns < widths[m] ? widths[m] - columns : 0, ' ');
    }
    table << "\n";
  }
  for (const std::string metric : {"vanishing_ratio", "grad_norm_global"}) {
    const auto it = values.find({"", metric});
    if (it != values.end()) table << metric << ": " << format(mean_std(it->second)) << "\n";
  }
  table << "initial test loss: " << format(mean_std(initial_loss)) << " (ln 10 = 2.303)\n";
}

// The networks of one configuration, seeds config.seed .. config.seed + seeds - 1, into `dir`.
void probe_networks(const ExperimentConfig& base, const ProbeInitOptions& options,
                    const std::filesystem::path& dir, std::ostream& table) {
  ExperimentConfig config = base;
  config.train.epochs = 0;
  config.probes.enabled = true;
  config.probes.warnings = false;  // one summary below instead of a warning per network

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
  std::size_t dead_layer_networks = 0;
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
      if (seed == first) check_metrics(options.metrics, values);
      nlohmann::json j = result.initial->to_json();
      j.erase("seconds");
      j.erase("samples_per_second");
      j["seed"] = seed;
      networks.push_back(j);
      initial_loss.push_back(result.initial->test.loss);
      // Every unit of some hidden layer dead on every probe sample: the network is "born dead"
      // when the probe set is one input (Lu et al. 2019).
      dead_layer_networks += result.initial->probes->max_dead_fraction == 1.0;
    }
  }
  output.write_text("probe_init.csv", csv);
  const double n = static_cast<double>(options.seeds);
  const double p = static_cast<double>(dead_layer_networks) / n;
  const double standard_error = std::sqrt(p * (1 - p) / n);
  nlohmann::json summary;
  summary["config_file"] = options.config.string();
  summary["seeds"] = {first, first + options.seeds - 1};
  summary["dead_layer_networks"] = {
      {"count", dead_layer_networks}, {"fraction", p}, {"standard_error", standard_error}};
  summary["networks"] = networks;
  output.write_json("summary.json", summary);

  table << "probe-init: " << options.seeds << " networks (seeds " << first << ".."
        << first + options.seeds - 1 << ") at initialisation; mean ± sd over seeds\n";
  print_table(table, options.metrics.empty() ? kDefaultTableMetrics : options.metrics, values,
              initial_loss);
  char line[160];
  std::snprintf(line, sizeof(line),
                "networks with an entirely dead hidden layer: %zu of %zu (%.4f ± %.4f SE)\n",
                dead_layer_networks, options.seeds, p, standard_error);
  table << line;
  spdlog::info("probe table in {}", (dir / "probe_init.csv").string());
}

}  // namespace

int probe_init_command(const ProbeInitOptions& options, std::ostream& table) {
  if (options.seeds == 0) throw ConfigError("--seeds must be at least 1");
  if (options.threads) check_thread_count(*options.threads, "--threads");
  auto adjust = [&](ExperimentConfig config) {
    if (options.threads) config.threads = *options.threads;
    if (options.first_seed) config.seed = *options.first_seed;
    check_seed_range(config.seed, options.seeds,
                     (options.first_seed ? "--first-seed " + std::to_string(config.seed)
                                         : "seed " + std::to_string(config.seed)) +
                         " with --seeds " + std::to_string(options.seeds));
    return config;
  };
  if (!is_study_file(options.config, options.overrides)) {
    const ExperimentConfig config = adjust(load_config(options.config, options.overrides));
    probe_networks(config, options,
                   options.out ? *options.out : config.output.dir / (config.name + "-probe-init"),
                   table);
    return kExitOk;
  }
  // A study: every cell's networks, in a folder of its own.
  const Study study = load_study(options.config, options.overrides);
  for (const SweptKey& key : study.keys)
    if (key.path == "seed")
      throw ConfigError(options.config.string() +
                        ": sweep.seed: probe-init draws the seeds itself (--seeds, "
                        "--first-seed); remove seed from the sweep");
  std::filesystem::path dir = study.output_dir;
  dir += "-probe-init";
  if (options.out) dir = *options.out;
  for (const StudyCell& cell : study.cells) {
    table << "\n== " << cell.id << "\n";
    probe_networks(adjust(cell.config), options, dir / cell.id, table);
  }
  return kExitOk;
}

}  // namespace actlab::cli
