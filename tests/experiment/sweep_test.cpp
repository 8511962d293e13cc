// The sweep grammar: grid products, zip groups, the depth/width shorthand, run ids, and every
// mistake reported at its own file:line:column with the key path.
#include "actlab/experiment/sweep.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "actlab/core/error.hpp"
#include "study_yaml.hpp"

namespace actlab {
namespace {

using test::study_yaml;

std::vector<std::string> ids(const Study& study) {
  std::vector<std::string> out;
  for (const auto& cell : study.cells)
    out.push_back(cell.id);
  return out;
}

// The ConfigError message for a study text.
std::string error_for(const std::string& sweep, const std::vector<std::string>& overrides = {}) {
  try {
    parse_study(study_yaml(sweep), "study.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << sweep;
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(Sweep, GridIsTheProductWithTheFirstKeySlowest) {
  const Study study = parse_study(study_yaml("sweep:\n"
                                             "  model.activation: [relu, tanh, sigmoid]\n"
                                             "  seed: [1, 2]\n"),
                                  "study.yaml");
  EXPECT_EQ(study.name, "demo");
  ASSERT_EQ(study.keys.size(), 2u);
  EXPECT_EQ(study.keys[0].path, "model.activation");
  EXPECT_EQ(study.keys[0].column, "activation");
  EXPECT_EQ(study.keys[1].column, "seed");
  EXPECT_EQ(ids(study),
            (std::vector<std::string>{"activation=relu,seed=1", "activation=relu,seed=2",
                                      "activation=tanh,seed=1", "activation=tanh,seed=2",
                                      "activation=sigmoid,seed=1", "activation=sigmoid,seed=2"}));
  // Each cell is the base with its values put in, named by its id.
  const StudyCell& cell = study.cells[3];
  EXPECT_EQ(cell.config.model.activation.name, "tanh");
  EXPECT_EQ(cell.config.seed, 2u);
  EXPECT_EQ(cell.config.name, "activation=tanh,seed=2");
  EXPECT_EQ(cell.values, (std::vector<std::string>{"tanh", "2"}));
  EXPECT_EQ(cell.config.model.hidden, (std::vector<std::size_t>{32, 32}));  // from the base
  EXPECT_EQ(cell.config.optimizer.learning_rate, 0.05);
  EXPECT_EQ(study.output_dir, std::filesystem::path("runs") / "demo");
}

TEST(Sweep, ZipGroupsVaryTogetherAndMultiplyWithTheSweep) {
  const Study study = parse_study(
      study_yaml("sweep:\n"
                 "  seed: [1, 2]\n"
                 "zip:\n"
                 "  - {optimizer.name: [sgd, adam], optimizer.learning_rate: [0.05, 0.001]}\n"),
      "study.yaml");
  EXPECT_EQ(ids(study),
            (std::vector<std::string>{
                "seed=1,name=sgd,learning_rate=0.05", "seed=1,name=adam,learning_rate=0.001",
                "seed=2,name=sgd,learning_rate=0.05", "seed=2,name=adam,learning_rate=0.001"}));
  EXPECT_EQ(study.cells[1].config.optimizer.name, "adam");
  EXPECT_EQ(study.cells[1].config.optimizer.learning_rate, 0.001);
  EXPECT_EQ(study.cells[2].config.optimizer.name, "sgd");
  EXPECT_EQ(study.cells[2].config.optimizer.learning_rate, 0.05);
}

TEST(Sweep, DepthAndWidthShorthandBuildHidden) {
  const Study study = parse_study(study_yaml("sweep:\n"
                                             "  model.depth: [1, 3]\n"
                                             "  model.width: [8, 64]\n"),
                                  "study.yaml");
  EXPECT_EQ(ids(study), (std::vector<std::string>{"depth=1,width=8", "depth=1,width=64",
                                                  "depth=3,width=8", "depth=3,width=64"}));
  EXPECT_EQ(study.cells[2].config.model.hidden, (std::vector<std::size_t>{8, 8, 8}));
  // Only depth swept: the width comes from the base's first hidden layer.
  const Study depth_only = parse_study(study_yaml("sweep:\n  model.depth: [4]\n"), "study.yaml");
  EXPECT_EQ(depth_only.cells[0].config.model.hidden, (std::vector<std::size_t>(4, 32)));
  EXPECT_EQ(depth_only.cells[0].id, "depth=4");
}

// With model.layers, model.depth counts the blocks of the list's repeat entries, whatever they
// hold; a swept list works the same as one in the base.
TEST(Sweep, DepthSetsTheTimesOfALayerListsRepeats) {
  std::string text = study_yaml(
      "sweep:\n"
      "  model.layers:\n"
      "    - [{repeat: {layers: [{linear: 8}, relu]}}]\n"
      "    - [{linear: 8}, {repeat: {layers: [{residual: {norm: batchnorm}}]}}]\n"
      "  model.depth: [2, 5]\n");
  const std::string hidden = "model: {hidden: [32, 32], activation: relu}";
  text.replace(text.find(hidden), hidden.size(), "model: {activation: relu}");
  const Study study = parse_study(text, "study.yaml");
  EXPECT_EQ(ids(study),
            (std::vector<std::string>{"layers=repeatlayerslinear8-relu,depth=2",
                                      "layers=repeatlayerslinear8-relu,depth=5",
                                      "layers=linear8-repeatlayersresidualnormbatchnorm,depth=2",
                                      "layers=linear8-repeatlayersresidualnormbatchnorm,depth=5"}));
  const std::vector<std::size_t> sizes = {4, 10, 3, 6};
  for (std::size_t c = 0; c < 4; ++c)
    EXPECT_EQ(study.cells[c].config.model.layers->size(), sizes[c]) << study.cells[c].id;
  EXPECT_EQ(study.cells[3].config.model.layers->back().kind, LayerSpec::Kind::kResidual);

  // A list without a repeat, and model.width, have nothing to set.
  text.replace(text.find("{repeat: {layers: [{linear: 8}, relu]}}"), 39, "{linear: 8}, relu");
  std::string message;
  try {
    parse_study(text, "study.yaml");
  } catch (const ConfigError& e) {
    message = e.what();
  }
  expect_contains(message,
                  "study.yaml:11:3: sweep.model.depth: with model.layers, model.depth "
                  "sets the times of its {repeat: {layers: [...]}} entries");
  message.clear();
  try {
    parse_study("model: {layers: [{repeat: {layers: [relu]}}]}\nsweep: {model.width: [4]}\n",
                "study.yaml");
  } catch (const ConfigError& e) {
    message = e.what();
  }
  expect_contains(message, "sweep.model.width: model.width applies to model.hidden");
}

TEST(Sweep, RunIdsFormatListsAndMappingsAndAreFileSystemSafe) {
  const Study study =
      parse_study(study_yaml("sweep:\n"
                             "  model.hidden: [[256, 256], [128, 64]]\n"
                             "  model.init: [he_normal, {name: normal, std: 0.02}]\n"
                             "  data.normalization: [scale]\n"),
                  "study.yaml");
  EXPECT_EQ(ids(study)[0], "hidden=256x2,init=he_normal,normalization=scale");
  EXPECT_EQ(ids(study)[3], "hidden=128-64,init=normal_std0.02,normalization=scale");
  for (const auto& id : ids(study))
    EXPECT_EQ(id.find_first_of("/ \t\"'"), std::string::npos) << id;
}

TEST(Sweep, ClashingLastComponentsUseLongerColumnNames) {
  const Study study = parse_study(study_yaml("sweep:\n"
                                             "  optimizer.name: [sgd]\n"
                                             "  model.init.name: [he_normal]\n"),
                                  "study.yaml");
  EXPECT_EQ(study.keys[0].column, "optimizer.name");
  EXPECT_EQ(study.keys[1].column, "init.name");
  EXPECT_EQ(study.cells[0].id, "optimizer.name=sgd,init.name=he_normal");
}

TEST(Sweep, IdsAreUniqueAndStableAcrossLoads) {
  const std::string yaml = study_yaml(
      "sweep:\n"
      "  model.activation: [relu, tanh]\n"
      "  optimizer.learning_rate: [0.1, 0.01, 0.001]\n"
      "  seed: [1, 2, 3]\n");
  const auto first = ids(parse_study(yaml, "study.yaml"));
  EXPECT_EQ(first, ids(parse_study(yaml, "study.yaml")));
  EXPECT_EQ(std::set<std::string>(first.begin(), first.end()).size(), 18u);
}

TEST(Sweep, OverridesApplyBeforeTheExpansion) {
  const Study study = parse_study(study_yaml("sweep:\n  seed: [1, 2, 3]\n"), "study.yaml",
                                  {"train.epochs=7", "sweep.seed=[5]"});
  ASSERT_EQ(study.cells.size(), 1u);
  EXPECT_EQ(study.cells[0].id, "seed=5");
  EXPECT_EQ(study.cells[0].config.train.epochs, 7u);
}

// The sweep block starts on line 7: "sweep:" at 7:1, its first key at 8:3.
TEST(Sweep, UnknownKeyIsReportedAtTheSweepEntry) {
  const std::string message = error_for("sweep:\n  model.actvation: [relu, tanh]\n");
  expect_contains(message, "study.yaml:8:3: sweep.model.actvation: unknown key 'model.actvation'");
  expect_contains(message, "did you mean 'activation'?");
}

TEST(Sweep, UnknownTopLevelKeyIsReportedAtTheSweepEntry) {
  const std::string message = error_for("sweep:\n  seed: [1]\n  modle.activation: [relu]\n");
  expect_contains(message, "study.yaml:9:3: sweep.modle.activation: unknown key 'modle'");
  expect_contains(message, "did you mean 'model'?");
}

TEST(Sweep, EmptyListIsAnError) {
  expect_contains(error_for("sweep:\n  seed: []\n"),
                  "study.yaml:8:3: sweep.seed: an empty list: a sweep needs at least one value");
}

TEST(Sweep, AScalarInsteadOfAListIsAnError) {
  expect_contains(error_for("sweep:\n  seed: 3\n"), "study.yaml:8:9: sweep.seed: expected a list");
}

TEST(Sweep, ABadValueIsReportedAtTheValue) {
  // "rleu" is the second item of the list on line 8, column 28.
  const std::string message = error_for("sweep:\n  model.activation: [relu, rleu]\n");
  expect_contains(message, "study.yaml:8:28: model.activation: unknown activation 'rleu'");
  expect_contains(error_for("sweep:\n  optimizer.learning_rate: [0.1, -1]\n"),
                  "study.yaml:8:34: optimizer.learning_rate: must be positive");
}

TEST(Sweep, ZipListsOfDifferentLengthsAreAnError) {
  expect_contains(
      error_for("zip:\n  - optimizer.name: [sgd, adam]\n    optimizer.learning_rate: [0.1]\n"),
      "study.yaml:9:5: zip[0].optimizer.learning_rate: 1 values, but optimizer.name has 2");
}

TEST(Sweep, DuplicateValuesAndKeysAreErrors) {
  expect_contains(error_for("sweep:\n  seed: [1, 2, 1]\n"),
                  "study.yaml:8:16: sweep.seed[2]: the same run as value [0]");
  expect_contains(error_for("sweep:\n  seed: [1]\nzip:\n  - {seed: [2]}\n"),
                  "study.yaml:10:6: zip[0].seed: swept twice (also in sweep)");
  expect_contains(error_for("sweep:\n  model.hidden: [[8]]\n  model.depth: [2]\n"),
                  "study.yaml:9:3: sweep.model.depth: cannot be swept together with model.hidden");
}

TEST(Sweep, KeysTheRunnerOwnsCannotBeSwept) {
  expect_contains(error_for("sweep:\n  threads: [1, 2]\n"),
                  "study.yaml:8:3: sweep.threads: cannot be swept");
  expect_contains(error_for("sweep:\n  name: [a, b]\n"), "sweep.name: cannot be swept");
  expect_contains(error_for("sweep:\n  output.dir: [a, b]\n"), "sweep.output.dir: cannot be swept");
}

TEST(Sweep, DepthMustBeAPositiveInteger) {
  expect_contains(error_for("sweep:\n  model.depth: [2, 0]\n"),
                  "study.yaml:8:20: sweep.model.depth[1]: expected a positive integer");
}

TEST(Sweep, AKeyBelowAScalarIsAnError) {
  expect_contains(
      error_for("sweep:\n  model.activation.alpha: [0.1]\n"),
      "study.yaml:8:3: sweep.model.activation.alpha: model.activation is not a mapping");
}

TEST(Sweep, BaseErrorsKeepTheirOwnLocation) {
  // An unknown key in the base, not in the sweep: reported where it is.
  try {
    parse_study(study_yaml("trian: {}\nsweep:\n  seed: [1]\n"), "study.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    expect_contains(e.what(), "study.yaml:7:1: trian: unknown key (did you mean 'train'?)");
  }
}

// Without a model: section the cells take the default model, as the same file without sweep: does.
TEST(Sweep, AStudyWithoutAModelSectionUsesTheDefaults) {
  const std::string base =
      "name: m3\nthreads: 1\ndata: {train_subset: 100, test_subset: 100}\n"
      "train: {epochs: 1}\n";
  const Study study =
      parse_study(base + "sweep:\n  optimizer.learning_rate: [0.1, 0.2]\n", "study.yaml");
  ASSERT_EQ(study.cells.size(), 2u);
  EXPECT_EQ(study.cells[0].config.model, ModelConfig{});
  EXPECT_DOUBLE_EQ(study.cells[1].config.optimizer.learning_rate, 0.2);
  const Study deeper = parse_study(base + "sweep:\n  model.depth: [1, 3]\n", "study.yaml");
  EXPECT_EQ(deeper.cells[1].config.model.hidden.size(), 3u);
}

// A swept value replaces the key it is put at; for a whole section that would silently reset the
// base's other keys of it, so the sweep must name the keys inside.
TEST(Sweep, AWholeSectionCannotBeSwept) {
  const std::string train = error_for("sweep:\n  train: [{epochs: 1}, {epochs: 2}]\n");
  expect_contains(train, "study.yaml:8:3: sweep.train: sweeps a whole section");
  expect_contains(train, "e.g. train.epochs: [...]");
  expect_contains(error_for("zip:\n  - {optimizer: [{name: sgd}, {name: adam}], seed: [1, 2]}\n"),
                  "study.yaml:8:6: zip[0].optimizer: sweeps a whole section");
  expect_contains(error_for("sweep:\n  train.early_stopping: [{patience: 1}]\n"),
                  "sweep.train.early_stopping: sweeps a whole section");
  // Values that are not sections may be swept whole.
  const Study study = parse_study(
      study_yaml("sweep:\n  model.activation: [relu, {name: leaky_relu, alpha: 0.2}]\n"),
      "study.yaml");
  EXPECT_EQ(study.cells.size(), 2u);
}

// A mapping the sweep creates on the way to its key is nowhere in the file: it is reported at the
// sweep entry.
TEST(Sweep, AnErrorBelowACreatedMappingIsReportedAtTheSweepEntry) {
  expect_contains(error_for("sweep:\n  optimizer.betas.0: [0.8, 0.9]\n"),
                  "study.yaml:8:3: optimizer.betas: expected a list of numbers");
}

TEST(Sweep, DuplicateKeysAreRefused) {
  expect_contains(error_for("seed: 2\nsweep:\n  seed: [1]\n"),
                  "study.yaml:7:1: seed: given twice (first at study.yaml:2:1)");
  expect_contains(error_for("sweep:\n  seed: [1]\n  seed: [2]\n"),
                  "study.yaml:9:3: sweep.seed: given twice (first at study.yaml:8:3)");
}

TEST(Sweep, OverrideErrorsNameTheOverride) {
  expect_contains(error_for("sweep:\n  seed: [1, 2]\n", {"optimizer.learning_rate=.nan"}),
                  "--set optimizer.learning_rate=.nan: optimizer.learning_rate: expected a finite "
                  "number");
  expect_contains(error_for("sweep:\n  seed: [1, 2]\n", {"train.batch_size="}),
                  "--set train.batch_size=: train.batch_size: expected an integer, got nothing");
  expect_contains(error_for("sweep:\n  seed: [1, 2]\n", {"sweep.seed=[1, -1]"}),
                  "--set sweep.seed=[1, -1]: seed: must be a non-negative integer");
}

TEST(Sweep, TabIndentationIsNamedInTheSyntaxError) {
  expect_contains(error_for("sweep:\n\tseed: [1, 2]\n"),
                  "line 8 is indented with a tab; YAML indents with spaces only");
}

TEST(Sweep, ShardsAreDisjointAndTogetherHoldEveryCell) {
  for (std::size_t cells : {0u, 1u, 7u, 12u, 100u})
    for (std::size_t n : {1u, 2u, 3u, 5u, 16u}) {
      std::vector<int> seen(cells, 0);
      for (std::size_t i = 1; i <= n; ++i) {
        const auto mine = shard_cells(cells, {i, n});
        EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
        // Balanced: sizes differ by at most one.
        EXPECT_LE(mine.size(), cells / n + 1);
        EXPECT_GE(mine.size(), cells / n);
        for (std::size_t c : mine)
          ++seen[c];
      }
      for (std::size_t c = 0; c < cells; ++c)
        EXPECT_EQ(seen[c], 1) << c << " of " << cells;
    }
}

TEST(Sweep, ShardSpecsAreChecked) {
  EXPECT_EQ(parse_shard("2/4").index, 2u);
  EXPECT_EQ(parse_shard("2/4").count, 4u);
  for (const char* bad :
       {"0/4", "5/4", "4", "/4", "1/", "a/b", "1/2/3", "-1/2", "99999999999999999999/1"})
    EXPECT_THROW(parse_shard(bad), ConfigError) << bad;
}

}  // namespace
}  // namespace actlab
