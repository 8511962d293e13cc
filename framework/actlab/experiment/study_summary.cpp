#include "actlab/experiment/study_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "actlab/core/atomic_file.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/json_text.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double number_or_missing(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return kMissing;
  return j[key].get<double>();
}

// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Full precision for reading back, integers without a decimal point, NaN as an empty field.
std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  char text[32];
  if (v == std::floor(v) && std::abs(v) < 1e15)
    std::snprintf(text, sizeof(text), "%.0f", v);
  else
    std::snprintf(text, sizeof(text), "%.10g", v);
  return text;
}

// One CSV line, field by field.
class CsvLine {
 public:
  CsvLine& text(const std::string& value) {
    separate();
    line_ += csv_field(value);
    return *this;
  }
  CsvLine& number(double value) {
    separate();
    line_ += csv_number(value);
    return *this;
  }
  std::string end() {
    line_ += '\n';
    return std::move(line_);
  }

 private:
  void separate() {
    if (!first_) line_ += ',';
    first_ = false;
  }
  std::string line_;
  bool first_ = true;
};

std::string format(const char* fmt, double v) {
  char text[64];
  // Fixed point would print a blown-up loss with 30 digits and break the table's columns.
  std::snprintf(text, sizeof(text), std::fabs(v) >= 1e6 ? "%.4g" : fmt, v);
  return text;
}

// Terminal columns of UTF-8 text (every code point one column: enough for ± and —).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Statistic statistic(const std::vector<double>& values) {
  Statistic s;
  double sum = 0;
  for (double v : values)
    if (std::isfinite(v)) {
      sum += v;
      ++s.n;
    }
  if (s.n == 0) return s;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2) return s;
  double squares = 0;
  for (double v : values)
    if (std::isfinite(v)) squares += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(s.n - 1));
  return s;
}

}  // namespace

StudyManifest StudyManifest::of(const Study& study, const std::string& config_file,
                                const std::vector<std::string>& overrides) {
  StudyManifest m;
  m.name = study.name;
  m.config_file = config_file;
  m.overrides = overrides;
  m.keys = study.keys;
  m.target_accuracy = study.target_accuracy;
  for (const auto& cell : study.cells)
    m.cells.push_back({cell.id, cell.values, config_digest(cell.config)});
  return m;
}

nlohmann::json StudyManifest::to_json() const {
  nlohmann::json j;
  j["study"] = name;
  j["config_file"] = config_file;
  j["overrides"] = overrides;
  j["keys"] = nlohmann::json::array();
  for (const auto& key : keys)
    j["keys"].push_back({{"path", key.path}, {"column", key.column}});
  j["target_accuracy"] = target_accuracy ? nlohmann::json(*target_accuracy) : nlohmann::json();
  j["cells"] = nlohmann::json::array();
  for (const auto& cell : cells)
    j["cells"].push_back(
        {{"id", cell.id}, {"values", cell.values}, {"config_digest", cell.config_digest}});
  return j;
}

StudyManifest StudyManifest::from_json(const nlohmann::json& j, const std::string& source) {
  StudyManifest m;
  try {
    m.name = j.at("study").get<std::string>();
    m.config_file = j.at("config_file").get<std::string>();
    m.overrides = j.at("overrides").get<std::vector<std::string>>();
    for (const auto& key : j.at("keys"))
      m.keys.push_back({key.at("path").get<std::string>(), key.at("column").get<std::string>()});
    if (!j.at("target_accuracy").is_null())
      m.target_accuracy = j.at("target_accuracy").get<double>();
    for (const auto& cell : j.at("cells")) {
      Cell c{cell.at("id").get<std::string>(), cell.at("values").get<std::vector<std::string>>(),
             cell.at("config_digest").get<std::string>()};
      if (c.values.size() != m.keys.size())
        throw ResultsError("a cell's values do not fit the keys");
      m.cells.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception& e) {
    throw ResultsError(source + ": not a study manifest: " + e.what());
  } catch (const ResultsError& e) {
    throw ResultsError(source + ": not a study manifest: " + e.what());
  }
  return m;
}

std::vector<std::size_t> StudyManifest::group_keys() const {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < keys.size(); ++k)
    if (keys[k].path != "seed") out.push_back(k);
  return out;
}

void write_manifest(const fs::path& study_dir, const StudyManifest& manifest) {
  write_file_atomic(study_dir / "study.json", json_text(manifest.to_json(), 2) + "\n");
}

StudyManifest read_manifest(const fs::path& study_dir) {
  const fs::path file = study_dir / "study.json";
  if (!fs::exists(file))
    throw ResultsError(study_dir.string() + ": not a study folder (no study.json)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_whole(file));
  } catch (const nlohmann::json::exception& e) {
    throw ResultsError(file.string() + ": not valid JSON: " + e.what());
  }
  return StudyManifest::from_json(j, file.string());
}

namespace {

// The configuration a run folder holds, as recorded by its config.yaml; "" if unreadable.
std::string folder_fingerprint(const fs::path& run_dir) {
  try {
    return training_fingerprint(load_config(run_dir / "config.yaml"));
  } catch (const std::exception&) {
    return "";
  }
}

// " (model.activation is relu before, tanh now)", or "" where a side is unknown.
std::string named_difference(const std::string& before, const std::string& now) {
  if (before.empty() || now.empty()) return "";
  const std::string difference = config_difference(before, now);
  return difference.empty() ? "" : " (" + difference + ")";
}

[[noreturn]] void refuse_folder(const fs::path& study_dir, const std::string& what) {
  throw ConfigError(study_dir.string() + " " + what +
                    ": a study folder holds one configuration; use another --out (or study "
                    "name), or remove the folder to start over");
}

}  // namespace

std::string recorded_digest(const fs::path& run_dir) {
  // run.json is written when the run starts; summary.json repeats it under "run" at the end.
  for (const char* file : {"run.json", "summary.json"}) {
    if (!fs::exists(run_dir / file)) continue;
    try {
      auto j = nlohmann::json::parse(read_whole(run_dir / file));
      if (j.contains("run")) j = j["run"];
      if (j.contains("config_digest")) return j["config_digest"].get<std::string>();
    } catch (const nlohmann::json::exception&) {
    }
  }
  if (!fs::exists(run_dir / "config.yaml")) return "";
  try {
    return config_digest(load_config(run_dir / "config.yaml"));
  } catch (const std::exception&) {
    return "unreadable config.yaml";  // never a digest: compares unequal
  }
}

std::vector<std::string> manifest_fingerprints(const StudyManifest& manifest) {
  try {
    const Study study = load_study(manifest.config_file, manifest.overrides);
    if (study.cells.size() != manifest.cells.size()) return {};
    std::vector<std::string> fingerprints;
    for (std::size_t c = 0; c < study.cells.size(); ++c) {
      if (study.cells[c].id != manifest.cells[c].id ||
          config_digest(study.cells[c].config) != manifest.cells[c].config_digest)
        return {};
      fingerprints.push_back(training_fingerprint(study.cells[c].config));
    }
    return fingerprints;
  } catch (const std::exception&) {
    return {};
  }
}

void check_study_folder(const fs::path& study_dir, const StudyManifest& expected,
                        const std::vector<std::string>& fingerprints) {
  std::vector<std::string> known = fingerprints;
  auto expected_fingerprint = [&](std::size_t c) {
    if (known.empty()) known = manifest_fingerprints(expected);  // only to name a difference
    return c < known.size() ? known[c] : std::string();
  };
  if (fs::exists(study_dir / "study.json")) {
    const StudyManifest recorded = read_manifest(study_dir);
    std::vector<std::string> recorded_fingerprints;  // read only if needed
    for (std::size_t c = 0; c < expected.cells.size(); ++c) {
      const auto& cell = expected.cells[c];
      const auto it = std::find_if(recorded.cells.begin(), recorded.cells.end(),
                                   [&](const StudyManifest::Cell& r) { return r.id == cell.id; });
      if (it == recorded.cells.end())
        refuse_folder(study_dir,
                      "holds a study whose study.json has no cell " + cell.id + " (another sweep)");
      if (it->config_digest == cell.config_digest) continue;
      std::string before = folder_fingerprint(study_dir / cell.id);
      if (before.empty()) {
        recorded_fingerprints = manifest_fingerprints(recorded);
        const auto r = static_cast<std::size_t>(it - recorded.cells.begin());
        if (r < recorded_fingerprints.size()) before = recorded_fingerprints[r];
      }
      refuse_folder(study_dir, "holds a study of another configuration: its cell " + cell.id +
                                   " has digest " + it->config_digest + ", as given now " +
                                   cell.config_digest +
                                   named_difference(before, expected_fingerprint(c)));
    }
    if (recorded.cells.size() != expected.cells.size())
      refuse_folder(study_dir, "holds a study of " + std::to_string(recorded.cells.size()) +
                                   " cells, this one has " + std::to_string(expected.cells.size()) +
                                   " (another sweep)");
  }
  for (std::size_t c = 0; c < expected.cells.size(); ++c) {
    const auto& cell = expected.cells[c];
    const std::string digest = recorded_digest(study_dir / cell.id);
    if (digest.empty() || digest == cell.config_digest) continue;
    refuse_folder(
        study_dir,
        "holds results of another configuration: " + (study_dir / cell.id).string() +
            " was run with digest " + digest + ", the study's is " + cell.config_digest +
            named_difference(folder_fingerprint(study_dir / cell.id), expected_fingerprint(c)));
  }
}

CellResult read_cell_result(const fs::path& run_dir, std::optional<double> target_accuracy) {
  CellResult r;
  if (!fs::exists(run_dir)) return r;

  // metrics.jsonl: one epoch per line (written atomically, so every line is whole).
  std::vector<nlohmann::json> epochs;
  {
    std::istringstream lines(read_whole(run_dir / "metrics.jsonl"));
    std::string line;
    try {
      while (std::getline(lines, line))
        if (!line.empty()) epochs.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      r.message = "metrics.jsonl is malformed";
    }
  }
  r.epochs_completed = epochs.size();
  double samples = 0, train_seconds = 0;
  for (const auto& e : epochs) {
    const double accuracy = number_or_missing(e, "test_accuracy");
    const double epoch = number_or_missing(e, "epoch");
    if (std::isfinite(accuracy) && !(accuracy <= r.best_test_accuracy)) {
      r.best_test_accuracy = accuracy;
      r.best_epoch = epoch;
    }
    if (target_accuracy && !std::isfinite(r.epoch_reached_target) && accuracy >= *target_accuracy)
      r.epoch_reached_target = epoch;
    samples += number_or_missing(e, "samples_per_second") * number_or_missing(e, "seconds");
    train_seconds += number_or_missing(e, "seconds");
  }
  if (!epochs.empty()) {
    const nlohmann::json& last = epochs.back();
    r.final_test_accuracy = number_or_missing(last, "test_accuracy");
    r.final_train_loss = number_or_missing(last, "train_loss");
    r.final_validation_loss = number_or_missing(last, "validation_loss");
    r.vanishing_ratio = number_or_missing(last, "vanishing_ratio");
    r.max_dead_fraction = number_or_missing(last, "max_dead_fraction");
    r.mean_saturated_fraction = number_or_missing(last, "mean_saturated_fraction");
    if (train_seconds > 0) r.samples_per_second = samples / train_seconds;
  }

  const fs::path summary_file = run_dir / "summary.json";
  if (fs::exists(summary_file)) {
    try {
      const auto summary = nlohmann::json::parse(read_whole(summary_file));
      r.status = summary.at("status").get<std::string>();
      if (summary.contains("message")) r.message = summary["message"].get<std::string>();
      r.seconds = number_or_missing(summary, "seconds");
      r.stopped_early = summary.value("stopped_early", false);
      if (summary.contains("run") && summary["run"].contains("config_digest"))
        r.config_digest = summary["run"]["config_digest"].get<std::string>();
      return r;
    } catch (const nlohmann::json::exception&) {
      r.message = "summary.json is malformed";
    }
  }
  // No (usable) summary: a run in progress, or one killed before it could write one.
  const bool started = !epochs.empty() || fs::exists(run_dir / "checkpoint.bin") ||
                       fs::exists(run_dir / "config.yaml");
  r.status = started ? "incomplete" : "pending";
  return r;
}

std::vector<CellResult> read_study_results(const fs::path& study_dir, const StudyManifest& manifest,
                                           std::optional<double> target_accuracy) {
  std::vector<CellResult> results;
  for (const auto& cell : manifest.cells) {
    CellResult r = read_cell_result(study_dir / cell.id, target_accuracy);
    r.id = cell.id;
    r.values = cell.values;
    results.push_back(std::move(r));
  }
  return results;
}

std::string summary_csv(const StudyManifest& manifest, const std::vector<CellResult>& cells) {
  CsvLine header;
  header.text("run_id");
  for (const auto& key : manifest.keys)
    header.text(key.column);
  for (const char* column :
       {"status", "epochs_completed", "final_test_accuracy", "best_test_accuracy", "best_epoch",
        "epoch_reached_target", "final_train_loss", "final_validation_loss", "vanishing_ratio",
        "max_dead_fraction", "mean_saturated_fraction", "stopped_early", "seconds",
        "samples_per_second", "message"})
    header.text(column);
  std::string out = header.end();
  for (const auto& c : cells) {
    CsvLine line;
    line.text(c.id);
    for (const auto& v : c.values)
      line.text(v);
    line.text(c.status).number(static_cast<double>(c.epochs_completed));
    for (double v : {c.final_test_accuracy, c.best_test_accuracy, c.best_epoch,
                     c.epoch_reached_target, c.final_train_loss, c.final_validation_loss,
                     c.vanishing_ratio, c.max_dead_fraction, c.mean_saturated_fraction})
      line.number(v);
    line.text(c.status == "pending" ? "" : (c.stopped_early ? "true" : "false"));
    line.number(c.seconds).number(c.samples_per_second).text(c.message);
    out += line.end();
  }
  return out;
}

const std::vector<SummaryMetric>& summary_metrics() {
  static const std::vector<SummaryMetric> metrics = {
      {"final_test_accuracy", "final test acc", &CellResult::final_test_accuracy, "%.4f"},
      {"best_test_accuracy", "best test acc", &CellResult::best_test_accuracy, "%.4f"},
      {"epoch_reached_target", "epoch to target", &CellResult::epoch_reached_target, "%.1f"},
      {"final_train_loss", "final train loss", &CellResult::final_train_loss, "%.4f"},
      {"vanishing_ratio", "vanishing ratio", &CellResult::vanishing_ratio, "%.3g"},
      {"max_dead_fraction", "max dead", &CellResult::max_dead_fraction, "%.3f"},
      {"mean_saturated_fraction", "mean saturation", &CellResult::mean_saturated_fraction, "%.3f"},
      {"seconds", "seconds", &CellResult::seconds, "%.1f"},
      {"samples_per_second", "samples/s", &CellResult::samples_per_second, "%.0f"},
  };
  return metrics;
}

std::vector<GroupSummary> summarize_groups(const StudyManifest& manifest,
                                           const std::vector<CellResult>& cells) {
  const std::vector<std::size_t> keys = manifest.group_keys();
  std::vector<GroupSummary> groups;
  std::map<std::vector<std::string>, std::size_t> index;
  std::vector<std::vector<const CellResult*>> members;
  for (const auto& cell : cells) {
    std::vector<std::string> values;
    for (std::size_t k : keys)
      values.push_back(cell.values[k]);
    auto [it, inserted] = index.emplace(values, groups.size());
    if (inserted) {
      groups.push_back({values, 0, 0, 0, {}});
      members.emplace_back();
    }
    members[it->second].push_back(&cell);
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    GroupSummary& group = groups[g];
    group.cells = members[g].size();
    for (const CellResult* c : members[g]) {
      group.completed += c->status == "completed";
      group.diverged += c->status == "diverged";
    }
    for (const auto& metric : summary_metrics()) {
      std::vector<double> values;
      for (const CellResult* c : members[g])
        if (c->status == "completed") values.push_back(c->*metric.field);
      group.metrics.push_back(statistic(values));
    }
  }
  return groups;
}

std::string groups_csv(const StudyManifest& manifest, const std::vector<GroupSummary>& groups) {
  CsvLine header;
  for (std::size_t k : manifest.group_keys())
    header.text(manifest.keys[k].column);
  header.text("cells").text("completed").text("diverged");
  for (const auto& metric : summary_metrics())
    for (const char* suffix : {"_mean", "_std", "_n"})
      header.text(std::string(metric.column) + suffix);
  std::string out = header.end();
  for (const auto& g : groups) {
    CsvLine line;
    for (const auto& v : g.values)
      line.text(v);
    line.number(static_cast<double>(g.cells))
        .number(static_cast<double>(g.completed))
        .number(static_cast<double>(g.diverged));
    for (const auto& stat : g.metrics)
      line.number(stat.mean).number(stat.std).number(static_cast<double>(stat.n));
    out += line.end();
  }
  return out;
}

std::string groups_table(const StudyManifest& manifest, const std::vector<GroupSummary>& groups,
                         std::optional<double> target_accuracy) {
  const std::vector<std::size_t> keys = manifest.group_keys();
  std::vector<std::string> header;
  std::vector<bool> numeric;
  for (std::size_t k : keys) {
    header.push_back(manifest.keys[k].column);
    numeric.push_back(false);
  }
  if (keys.empty()) {
    header.push_back("group");
    numeric.push_back(false);
  }
  const bool any_unfinished = std::any_of(groups.begin(), groups.end(), [](const GroupSummary& g) {
    return g.completed + g.diverged < g.cells;
  });
  for (const char* label : {"n", "diverged"}) {
    header.push_back(label);
    numeric.push_back(true);
  }
  if (any_unfinished) {
    header.push_back("not done");
    numeric.push_back(true);
  }
  const auto& metrics = summary_metrics();
  for (const auto& metric : metrics) {
    const bool target = metric.field == &CellResult::epoch_reached_target;
    if (target && !target_accuracy) continue;
    header.push_back(target ? "epoch to " + format("%g", *target_accuracy) : metric.label);
    numeric.push_back(true);
  }

  std::vector<std::vector<std::string>> rows;
  for (const auto& g : groups) {
    std::vector<std::string> row = g.values;
    if (keys.empty()) row.push_back("all");
    row.push_back(std::to_string(g.completed));
    row.push_back(std::to_string(g.diverged));
    if (any_unfinished) row.push_back(std::to_string(g.cells - g.completed - g.diverged));
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const bool target = metrics[m].field == &CellResult::epoch_reached_target;
      if (target && !target_accuracy) continue;
      const Statistic& s = g.metrics[m];
      std::string cell = "—";
      if (s.n > 0) {
        cell = format(metrics[m].format, s.mean);
        if (s.n > 1) cell += " ± " + format(metrics[m].format, s.std);
      }
      // Runs that never reached the target have no epoch: say how many did.
      if (target && s.n < g.completed)
        cell += " (" + std::to_string(s.n) + "/" + std::to_string(g.completed) + ")";
      row.push_back(cell);
    }
    rows.push_back(std::move(row));
  }

  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = display_width(header[c]);
    for (const auto& row : rows)
      width[c] = std::max(width[c], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - display_width(cells[c]), ' ');
      if (c) out += "  ";
      out += numeric[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows)
    out += line(row);
  return out;
}

void write_study_tables(const fs::path& study_dir, const StudyManifest& manifest,
                        const std::vector<CellResult>& cells) {
  write_file_atomic(study_dir / "summary.csv", summary_csv(manifest, cells));
  write_file_atomic(study_dir / "summary_groups.csv",
                    groups_csv(manifest, summarize_groups(manifest, cells)));
}

}  // namespace actlab
