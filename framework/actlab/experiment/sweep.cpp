#include "actlab/experiment/sweep.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>
#include <utility>

#include "actlab/config/yaml_reader.hpp"
#include "actlab/core/error.hpp"
#include "actlab/nn/activation.hpp"

namespace actlab {
namespace {

// One swept key: where it is written and its values (nodes of the study's YAML, so that a bad
// value is reported at its own line).
struct Entry {
  std::string path;
  std::vector<std::string> components;
  std::string block;  // "sweep" or "zip[k]", for messages
  YAML::Node key;
  std::vector<YAML::Node> values;
  std::vector<std::string> formatted;  // as in the run id
};

// The keys of one axis vary together: a sweep entry alone, or a zip group.
struct Axis {
  std::vector<Entry> entries;
  std::size_t size = 0;
};

constexpr const char* kDepth = "model.depth";
constexpr const char* kWidth = "model.width";
// Folder names are limited to 255 bytes on common file systems.
constexpr std::size_t kMaxRunIdLength = 255;

[[noreturn]] void fail_at(const ConfigSource& source, const YAML::Node& node,
                          const std::string& key_path, const std::string& message) {
  throw ConfigError(location_message(source, node, key_path, message));
}

// The study's tree with `overrides` applied; `source` records them, for messages.
YAML::Node load_root(const std::string& text, ConfigSource& source,
                     const std::vector<std::string>& overrides) {
  YAML::Node root = load_yaml(text, source);
  apply_overrides(root, overrides, source);
  return root;
}

// The key paths of the configuration's sections ("train", "train.early_stopping"), from their
// field lists: a sweep value there would replace the whole section.
struct SectionPaths {
  std::string prefix;
  std::set<std::string>* paths;

  template <class T, class... Rules>
  void operator()(const std::string& key, T&& value, const Rules&...) {
    using Value = std::remove_cvref_t<T>;
    if constexpr (ConfigSection<Value>) {
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      paths->insert(path);
      SectionPaths nested{path, paths};
      SectionFields<Value>::visit(value, nested);
    }
  }
};

const std::set<std::string>& section_paths() {
  static const std::set<std::string> paths = [] {
    std::set<std::string> found;
    ExperimentConfig config;
    SectionPaths visitor{"", &found};
    SectionFields<ExperimentConfig>::visit(config, visitor);
    return found;
  }();
  return paths;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot open the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// Run ids become folder names and CSV cells: keep letters, digits and . _ + -; the rest is '_'.
std::string sanitize(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '+' || c == '-';
    out += safe ? c : '_';
  }
  return out.empty() ? "empty" : out;
}

// A value as it appears in a run id: scalars as written; a list of equal widths as 256x4, other
// lists joined by '-'; a mapping as its name followed by its other keys and values
// ({name: leaky_relu, alpha: 0.2} -> leaky_relu_alpha0.2).
std::string format_value(const YAML::Node& value) {
  if (value.IsScalar()) return sanitize(value.Scalar());
  if (value.IsSequence()) {
    if (value.size() == 0) return "none";
    std::vector<std::string> items;
    for (const auto& item : value)
      items.push_back(format_value(item));
    if (items.size() > 1 && std::all_of(items.begin(), items.end(),
                                        [&](const std::string& s) { return s == items[0]; }))
      return items[0] + "x" + std::to_string(items.size());
    std::string out;
    for (const auto& item : items) {
      if (!out.empty()) out += '-';
      out += item;
    }
    return out;
  }
  if (value.IsMap()) {
    std::string out;
    if (value["name"].IsDefined()) out = format_value(value["name"]);
    for (const auto& item : value) {
      const std::string key = item.first.as<std::string>();
      if (key == "name") continue;
      if (!out.empty()) out += '_';
      out += sanitize(key);
      out += format_value(item.second);
    }
    return out.empty() ? "empty" : out;
  }
  return "null";
}

bool is_prefix(const std::vector<std::string>& prefix, const std::vector<std::string>& path) {
  return prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

bool is_shorthand(const Entry& e) {
  return e.path == kDepth || e.path == kWidth;
}

Entry read_entry(const ConfigSource& source, const std::string& block,
                 const std::pair<YAML::Node, YAML::Node>& item) {
  Entry e;
  e.key = item.first;
  e.block = block;
  e.path = item.first.as<std::string>();
  const std::string where = block + "." + e.path;
  e.components = split_path(e.path);
  if (std::any_of(e.components.begin(), e.components.end(),
                  [](const std::string& c) { return c.empty(); }))
    fail_at(source, e.key, where, "a key path has no empty parts, e.g. model.activation");
  const std::string& first = e.components[0];
  if (e.path == "name")
    fail_at(source, e.key, where, "cannot be swept: each cell is named by its run id");
  if (e.path == "threads")
    fail_at(source, e.key, where,
            "cannot be swept: the study runner divides the cores (see --jobs, --threads)");
  if (first == "output" || first == "sweep" || first == "zip")
    fail_at(source, e.key, where,
            "cannot be swept: the cells of a study are written under its own folder");
  YAML::Node list = item.second;
  // `model.activation: all`: every registered hidden activation (all but the output-side ones),
  // in the registry's order; a new one joins such a study without an edit.
  if (e.path == "model.activation" && list.IsScalar() && list.Scalar() == "all") {
    YAML::Node every(YAML::NodeType::Sequence);
    for (const ActivationInfo& info : activation_registry())
      if (!info.output_side) every.push_back(std::string(info.name));
    list = every;
  }
  if (section_paths().count(e.path)) {
    std::string example = e.path + ".<key>";
    if (list.IsSequence() && list.size() > 0 && list[0].IsMap() && list[0].size() > 0)
      example = e.path + "." + (*list[0].begin()).first.Scalar();
    fail_at(source, e.key, where,
            "sweeps a whole section, whose every value would replace all of the base's " + e.path +
                " keys; sweep the keys inside it instead, e.g. " + example +
                ": [...] (or several together in a zip: group)");
  }
  if (!list.IsSequence())
    fail_at(source, list.IsDefined() ? list : e.key, where,
            "expected a list of values, e.g. [relu, gelu] (a single value belongs in the base "
            "configuration)");
  if (list.size() == 0)
    fail_at(source, e.key, where, "an empty list: a sweep needs at least one value");
  for (std::size_t i = 0; i < list.size(); ++i) {
    e.values.push_back(list[i]);
    e.formatted.push_back(format_value(list[i]));
    if (is_shorthand(e)) {
      long long v = 0;
      bool ok = list[i].IsScalar();
      try {
        if (ok) v = list[i].as<long long>();
      } catch (const YAML::Exception&) {
        ok = false;
      }
      if (!ok || v < 1 || v > (1 << 20))
        fail_at(source, list[i], where + "[" + std::to_string(i) + "]",
                "expected a positive integer (a layer count or width)");
    }
  }
  return e;
}

std::vector<Axis> read_axes(const YAML::Node& root, const ConfigSource& source) {
  std::vector<Axis> axes;
  const YAML::Node sweep = root["sweep"];
  if (sweep.IsDefined() && !sweep.IsNull()) {
    if (!sweep.IsMap())
      fail_at(source, sweep, "sweep", "expected a mapping of key paths to lists of values");
    for (const auto& item : sweep) {
      Axis axis;
      axis.entries.push_back(read_entry(source, "sweep", {item.first, item.second}));
      axis.size = axis.entries.back().values.size();
      axes.push_back(std::move(axis));
    }
  }
  const YAML::Node zip = root["zip"];
  if (zip.IsDefined() && !zip.IsNull()) {
    if (!zip.IsSequence())
      fail_at(source, zip, "zip",
              "expected a list of groups, each a mapping of key paths to lists");
    for (std::size_t g = 0; g < zip.size(); ++g) {
      const std::string block = "zip[" + std::to_string(g) + "]";
      if (!zip[g].IsMap() || zip[g].size() == 0)
        fail_at(source, zip[g], block,
                "expected a mapping of key paths to lists of equal length, e.g. "
                "{optimizer.name: [sgd, adam], optimizer.learning_rate: [0.05, 0.001]}");
      Axis axis;
      for (const auto& item : zip[g]) {
        Entry e = read_entry(source, block, {item.first, item.second});
        if (!axis.entries.empty() && e.values.size() != axis.size)
          fail_at(source, e.key, block + "." + e.path,
                  std::to_string(e.values.size()) + " values, but " + axis.entries[0].path +
                      " has " + std::to_string(axis.size) +
                      ": the keys of a zip group vary together and need lists of one length");
        axis.size = e.values.size();
        axis.entries.push_back(std::move(e));
      }
      axes.push_back(std::move(axis));
    }
  }

  // Each key once; hidden is either swept itself or through depth/width.
  std::map<std::string, const Entry*> seen;
  for (const Axis& axis : axes)
    for (const Entry& e : axis.entries) {
      if (auto it = seen.find(e.path); it != seen.end())
        fail_at(source, e.key, e.block + "." + e.path,
                "swept twice (also in " + it->second->block + ")");
      const bool hidden = e.path == "model.hidden";
      for (const auto& [path, other] : seen)
        if ((hidden && (path == kDepth || path == kWidth)) ||
            (is_shorthand(e) && path == "model.hidden"))
          fail_at(source, e.key, e.block + "." + e.path,
                  "cannot be swept together with " + path + ": depth and width define hidden");
      seen[e.path] = &e;
    }

  // Values that read the same in a run id but differ (data sets "a b" and "a_b") get a suffix that
  // sanitize never writes, so that every cell has its own id. Values that are the same run are
  // found by configuration once the cells are resolved (reject_duplicate_cells).
  for (Axis& axis : axes) {
    std::map<std::vector<std::string>, std::size_t> spellings;
    for (std::size_t i = 0; i < axis.size; ++i) {
      std::vector<std::string> formatted;
      for (const Entry& e : axis.entries)
        formatted.push_back(e.formatted[i]);
      const std::size_t same = ++spellings[formatted];
      if (same == 1) continue;
      std::string& id_value = axis.entries.back().formatted[i];
      id_value += '~';  // appended piecewise: GCC 12 -Wrestrict false positive otherwise
      id_value += std::to_string(same);
    }
  }
  return axes;
}

// Each key by the last part of its path, or more parts where two keys would clash
// (optimizer.name and model.activation.name).
std::vector<std::string> column_names(const std::vector<const Entry*>& entries) {
  std::vector<std::size_t> parts(entries.size(), 1);
  auto name = [&](std::size_t i) {
    const auto& c = entries[i]->components;
    const std::size_t k = std::min(parts[i], c.size());
    std::string out;
    for (std::size_t p = c.size() - k; p < c.size(); ++p) {
      if (!out.empty()) out += '.';
      out += c[p];
    }
    return out;
  };
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<bool> clashes(entries.size(), false);
    for (std::size_t i = 0; i < entries.size(); ++i)
      for (std::size_t j = 0; j < entries.size(); ++j)
        clashes[i] = clashes[i] || (i != j && name(i) == name(j));
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (clashes[i] && parts[i] < entries[i]->components.size()) {
        ++parts[i];
        changed = true;
      }
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < entries.size(); ++i)
    names.push_back(name(i));
  return names;
}

// Puts `value` at the entry's key path in `root`, creating mappings on the way.
// The mappings it creates are reported at the sweep entry, as they are nowhere in the file.
void set_value(YAML::Node& root, const Entry& e, const YAML::Node& value, ConfigSource& source) {
  YAML::Node node = root;
  for (std::size_t i = 0; i + 1 < e.components.size(); ++i) {
    YAML::Node child = node[e.components[i]];
    if (!child.IsDefined() || child.IsNull()) {
      node[e.components[i]] = YAML::Node(YAML::NodeType::Map);
      child.reset(node[e.components[i]]);
      source.add_stand_in(child, e.key);
    } else if (!child.IsMap()) {
      std::string prefix;
      for (std::size_t p = 0; p <= i; ++p) {
        if (p) prefix += '.';
        prefix += e.components[p];
      }
      fail_at(source, e.key, e.block + "." + e.path,
              prefix + " is not a mapping in the configuration, so it has no key '" +
                  e.components[i + 1] + "' (sweep whole values instead, e.g. " + prefix +
                  ": [{name: ..., ...}])");
    }
    node.reset(child);
  }
  node[e.components.back()] = value;
}

// The base hidden widths, for the depth/width shorthand (the defaults when absent or malformed:
// parse_config reports a malformed one).
std::vector<long long> base_hidden(const YAML::Node& root) {
  std::vector<long long> hidden;
  const YAML::Node model = root["model"];  // an invalid node when absent: test IsDefined first
  const YAML::Node node = model.IsDefined() && model.IsMap() ? model["hidden"] : YAML::Node();
  try {
    if (node.IsSequence())
      for (const auto& w : node)
        hidden.push_back(w.as<long long>());
    else
      for (std::size_t w : ModelConfig{}.hidden)
        hidden.push_back(static_cast<long long>(w));
  } catch (const YAML::Exception&) {
    hidden.assign(2, 256);
  }
  return hidden;
}

// model.depth with a model.layers list: the depth is the `times` of its top-level
// {repeat: {layers: [...]}} entries, so depth counts blocks of any structure (Linear + batchnorm +
// activation, residual blocks) as it counts hidden layers in the hidden form.
void set_repeat_times(YAML::Node layers, long long depth, const Entry& e,
                      const ConfigSource& source) {
  const std::string where = e.block + "." + e.path;
  if (!layers.IsSequence()) fail_at(source, e.key, where, "model.layers is not a list of layers");
  bool found = false;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    YAML::Node item = layers[i];
    if (!item.IsMap() || item.size() != 1 || (*item.begin()).first.Scalar() != "repeat") continue;
    YAML::Node repeat = item["repeat"];
    if (!repeat.IsMap()) continue;  // parse_config reports the malformed entry at its place
    // A swept list shares its nodes with the study's values (yaml-cpp assigns by reference), so
    // this writes there too; harmless, as every cell sets the count before parsing its config.
    // Copying with YAML::Clone instead would lose the line numbers that errors report.
    repeat["times"] = depth;
    found = true;
  }
  if (!found)
    fail_at(source, e.key, where,
            "with model.layers, model.depth sets the times of its {repeat: {layers: [...]}} "
            "entries, and this list has none");
}

// A cell's identity is its resolved configuration: two values that resolve to one (seed 1 and 01,
// learning rate 0.05 and 5e-2, an activation with and without its default parameter) are one run
// swept twice. Reported at the later value of the first axis where the two cells differ.
void reject_duplicate_cells(const std::vector<StudyCell>& cells, const std::vector<Axis>& axes,
                            const std::vector<std::vector<std::size_t>>& positions,
                            const ConfigSource& source) {
  std::map<std::string, std::size_t> first;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const auto [it, inserted] = first.emplace(training_fingerprint(cells[c].config), c);
    if (inserted) continue;
    const std::size_t other = it->second;
    std::size_t a = 0;
    while (a + 1 < axes.size() && positions[c][a] == positions[other][a])
      ++a;
    const Entry& e = axes[a].entries.back();
    const std::size_t i = positions[c][a];
    fail_at(source, e.values[i], e.block + "." + e.path + "[" + std::to_string(i) + "]",
            "the same run as value [" + std::to_string(positions[other][a]) + "]: cells '" +
                cells[other].id + "' and '" + cells[c].id +
                "' resolve to one configuration; each value must make a distinct run");
  }
}

}  // namespace

const StudyCell* Study::find(const std::string& id) const {
  for (const auto& cell : cells)
    if (cell.id == id) return &cell;
  return nullptr;
}

bool is_study_file(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  try {
    ConfigSource source(file.string());
    const YAML::Node root = load_root(read_text(file), source, overrides);
    return root.IsMap() && (root["sweep"].IsDefined() || root["zip"].IsDefined());
  } catch (const std::exception&) {
    return false;
  }
}

Study parse_study(const std::string& text, const std::string& source,
                  const std::vector<std::string>& overrides) {
  ConfigSource study_source(source);
  const YAML::Node root = load_root(text, study_source, overrides);
  if (!root.IsMap()) throw ConfigError(source + ": expected a mapping of configuration keys");
  const std::vector<Axis> axes = read_axes(root, study_source);
  if (axes.empty())
    throw ConfigError(source + ": not a study: it has no sweep: or zip: block with values");

  Study study;
  std::vector<const Entry*> entries;
  for (const Axis& axis : axes)
    for (const Entry& e : axis.entries)
      entries.push_back(&e);
  const std::vector<std::string> columns = column_names(entries);
  for (std::size_t k = 0; k < entries.size(); ++k)
    study.keys.push_back({entries[k]->path, columns[k]});

  // The grid, first axis slowest; each cell is the base with its values put in, parsed in full.
  std::size_t total = 1;
  for (const Axis& axis : axes)
    total *= axis.size;
  std::vector<std::size_t> position(axes.size(), 0);
  std::vector<std::vector<std::size_t>> positions;  // per cell: its value on each axis
  for (std::size_t n = 0; n < total; ++n) {
    ConfigSource cell_source = study_source;  // the sweep's values may come from an override
    YAML::Node tree = load_root(text, cell_source, overrides);  // fresh: every node keeps its line
    tree.remove("sweep");
    tree.remove("zip");
    StudyCell cell;
    std::optional<long long> depth, width;
    for (std::size_t a = 0; a < axes.size(); ++a)
      for (const Entry& e : axes[a].entries) {
        const YAML::Node& value = e.values[position[a]];
        cell.values.push_back(e.formatted[position[a]]);
        if (e.path == kDepth)
          depth = value.as<long long>();
        else if (e.path == kWidth)
          width = value.as<long long>();
        else
          set_value(tree, e, value, cell_source);
      }
    // Read through a const node: yaml-cpp's non-const operator[] would add an empty `model`.
    // An absent key gives an invalid node, on which only IsDefined() may be called.
    const YAML::Node model = std::as_const(tree)["model"];
    const bool layer_list = model.IsDefined() && model.IsMap() && model["layers"].IsDefined() &&
                            !model["layers"].IsNull();
    if (layer_list && (depth || width)) {
      const Entry& shorthand = **std::find_if(entries.begin(), entries.end(), [&](const Entry* e) {
        return e->path == (width ? kWidth : kDepth);
      });
      if (width)
        fail_at(cell_source, shorthand.key, shorthand.block + "." + shorthand.path,
                "model.width applies to model.hidden; with model.layers, sweep the list itself");
      set_repeat_times(tree["model"]["layers"], *depth, shorthand, cell_source);
    } else if (depth || width) {
      const std::vector<long long> base = base_hidden(tree);
      YAML::Node hidden(YAML::NodeType::Sequence);
      const long long layers = depth.value_or(static_cast<long long>(base.size()));
      for (long long l = 0; l < layers; ++l)
        hidden.push_back(width.value_or(base.empty() ? 256 : base[0]));
      hidden.SetStyle(YAML::EmitterStyle::Flow);
      if (!tree["model"].IsMap()) tree["model"] = YAML::Node(YAML::NodeType::Map);
      tree["model"]["hidden"] = hidden;
    }
    for (std::size_t k = 0; k < entries.size(); ++k) {
      if (k) cell.id += ',';
      cell.id += study.keys[k].column;
      cell.id += '=';
      cell.id += cell.values[k];
    }
    if (cell.id.size() > kMaxRunIdLength)
      fail_at(study_source, root["sweep"].IsDefined() ? root["sweep"] : root["zip"], "sweep",
              "run ids are up to " + std::to_string(cell.id.size()) + " characters long ('" +
                  cell.id + "'); folder names allow " + std::to_string(kMaxRunIdLength) +
                  ": sweep fewer keys or shorter values");
    tree["name"] = cell.id;

    try {
      cell.config = parse_config(tree, cell_source);
    } catch (const UnknownKeyError& e) {
      // The unknown key came from a sweep entry's path: report it there, where it is written.
      const std::vector<std::string> unknown = split_path(e.key_path());
      for (const Entry* entry : entries)
        if (!is_shorthand(*entry) && is_prefix(unknown, entry->components))
          fail_at(study_source, entry->key, entry->block + "." + entry->path,
                  "unknown key '" + e.key_path() + "'" + e.detail());
      throw;
    }
    study.cells.push_back(std::move(cell));
    positions.push_back(position);

    for (std::size_t a = axes.size(); a-- > 0;) {  // odometer: the last axis turns fastest
      if (++position[a] < axes[a].size) break;
      position[a] = 0;
    }
  }
  reject_duplicate_cells(study.cells, axes, positions, study_source);

  const YAML::Node name = root["name"];
  study.name = name.IsDefined() && name.IsScalar() ? name.Scalar() : ExperimentConfig{}.name;
  if (study.name.empty() || study.name.find('/') != std::string::npos || study.name == "." ||
      study.name == "..")
    fail_at(study_source, name, "name",
            "must be a non-empty name without '/' (it names the study's folder)");
  study.output_dir = study.cells.front().config.output.dir / study.name;
  study.target_accuracy = study.cells.front().config.target_accuracy;
  return study;
}

Study load_study(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  return parse_study(read_text(file), file.string(), overrides);
}

Shard parse_shard(const std::string& text) {
  Shard shard;
  const auto slash = text.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size() &&
            text.find_first_not_of("0123456789/") == std::string::npos &&
            text.find('/', slash + 1) == std::string::npos;
  if (ok) {
    try {
      shard.index = std::stoul(text.substr(0, slash));
      shard.count = std::stoul(text.substr(slash + 1));
      ok = shard.index >= 1 && shard.index <= shard.count;
    } catch (const std::exception&) {  // out of range
      ok = false;
    }
  }
  if (!ok)
    throw ConfigError("--shard " + text + ": expected i/N with 1 <= i <= N, e.g. --shard 2/4");
  return shard;
}

std::vector<std::size_t> shard_cells(std::size_t cell_count, Shard shard) {
  std::vector<std::size_t> cells;
  for (std::size_t p = shard.index - 1; p < cell_count; p += shard.count)
    cells.push_back(p);
  return cells;
}

}  // namespace actlab
