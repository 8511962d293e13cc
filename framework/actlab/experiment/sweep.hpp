#pragma once
// A study: one experiment YAML whose `sweep:` block (and/or `zip:` groups) turns it into a grid of
// runs, the cells, each with a stable, readable run id.
//
//   sweep:                        # key path -> list of values; the cells are the grid product
//     model.activation: [relu, gelu, tanh]   # or `all`: every hidden activation
//     model.depth: [2, 4, 8]      # shorthand: model.hidden = [width] * depth
//     seed: [1, 2, 3]
//   zip:                          # optional groups: the keys of one group vary together
//     - {optimizer.name: [sgd, adam], optimizer.learning_rate: [0.05, 0.001]}
//
// Every other key is the base configuration that all cells share. `model.depth` and `model.width`
// exist only here: with one of them swept, hidden becomes [width] * depth, the other taken from the
// base (its first hidden width, or its depth). The run id names each swept key by the last
// component of its path (more components where two keys would clash), in the order they are
// written, sweep entries first: "activation=gelu,depth=4,seed=2". The first key varies slowest.
// A whole section (train, optimizer, train.early_stopping, ...) cannot be swept, as its value would
// replace every key of the base's section: the keys inside it are swept instead (train.epochs).
//
// Every cell is validated when the study is loaded, so a mistake surfaces before anything runs:
// an unknown key, an empty list or a bad value is a ConfigError naming the file, line, column and
// key path of the sweep entry.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actlab/config/experiment_config.hpp"

namespace actlab {

struct SweptKey {
  std::string path;    // "model.activation"; "model.depth", "model.width" for the shorthand
  std::string column;  // "activation": its name in run ids and summary tables
};

struct StudyCell {
  std::string id;                   // "activation=gelu,depth=4,seed=2"
  std::vector<std::string> values;  // per swept key, as in the id: "gelu", "4", "256x2"
  ExperimentConfig config;          // with name = id
};

struct Study {
  std::string name;
  std::filesystem::path output_dir;  // <output.dir>/<name>
  std::vector<SweptKey> keys;
  std::vector<StudyCell> cells;  // grid order
  std::optional<double> target_accuracy;

  const StudyCell* find(const std::string& id) const;
};

// True if the file (with `overrides` applied) has a sweep: or zip: block. False also when it cannot
// be read; the loaders report that.
bool is_study_file(const std::filesystem::path& file, const std::vector<std::string>& overrides);

// Expands `text` (the YAML of a study; `source` names it in messages) with `overrides`
// ("key.path=value", applied before the expansion, so they may change the sweep too).
Study parse_study(const std::string& text, const std::string& source,
                  const std::vector<std::string>& overrides = {});
Study load_study(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});

// `--shard i/N`: the cells with position p (0-based, grid order) where p mod N == i - 1. The shards
// of one N are disjoint and together hold every cell, and each mixes the whole grid.
struct Shard {
  std::size_t index = 1;  // 1-based
  std::size_t count = 1;
};
// "2/4"; ConfigError unless 1 <= i <= N.
Shard parse_shard(const std::string& text);
std::vector<std::size_t> shard_cells(std::size_t cell_count, Shard shard);

}  // namespace actlab
