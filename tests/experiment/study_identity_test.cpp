// A cell's identity is its resolved configuration: two spellings of one configuration in a sweep
// are one run swept twice (an error at the later value), and two different configurations whose
// values read the same in a run id still get distinct, readable run ids.
#include <gtest/gtest.h>

#include "actlab/core/error.hpp"
#include "actlab/experiment/sweep.hpp"
#include "study_yaml.hpp"

namespace actlab {
namespace {

using test::study_yaml;

std::string error_for(const std::string& sweep, const std::string& model = "{hidden: [16]}") {
  try {
    const Study study = parse_study(study_yaml(sweep, model), "study.yaml");
    ADD_FAILURE() << "no ConfigError for:\n" << sweep << "\n" << study.cells.size() << " cells";
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(StudyIdentity, SpellingsOfOneSeedAreOneRun) {
  const std::string message = error_for("sweep:\n  seed: [1, 01, 0x1]\n");
  expect_contains(message, "study.yaml:8:13: sweep.seed[1]: the same run as value [0]");
  expect_contains(message, "cells 'seed=1' and 'seed=01' resolve to one configuration");
}

TEST(StudyIdentity, SpellingsOfOneNumberAcrossAxesAreOneRun) {
  // Four cells, one configuration: the first duplicate is (0.05, 01) after (0.05, 1).
  expect_contains(error_for("sweep:\n  optimizer.learning_rate: [0.05, 5e-2]\n"
                            "  train.epochs: [1, 01]\n"),
                  "sweep.train.epochs[1]: the same run as value [0]");
  expect_contains(error_for("sweep:\n  optimizer.learning_rate: [0.05, 5e-2]\n"),
                  "sweep.optimizer.learning_rate[1]: the same run as value [0]");
}

TEST(StudyIdentity, AnActivationWithItsDefaultParameterIsTheSameRun) {
  expect_contains(error_for("sweep:\n  model.activation: [{name: leaky_relu}, "
                            "{name: leaky_relu, alpha: 0.01}]\n"),
                  "sweep.model.activation[1]: the same run as value [0]");
}

TEST(StudyIdentity, SpellingsOfOneLayerListAreOneRun) {
  expect_contains(error_for("sweep:\n  model.layers:\n"
                            "    - [{linear: 16}, relu]\n"
                            "    - [{linear: {width: 16}}, relu]\n"
                            "    - [{linear: 16}, activation]\n"
                            "    - [{linear: 16}, {activation: {name: relu}}]\n",
                            "{activation: relu}"),
                  "sweep.model.layers[1]: the same run as value [0]");
}

TEST(StudyIdentity, DistinctValuesThatReadTheSameGetDistinctRunIds) {
  // "a b" and "a_b" are different data sets, but both read a_b in a run id.
  const Study study =
      parse_study(study_yaml("sweep:\n  data.path: [\"d/a b\", d/a_b, \"d/a,b\"]\n"), "study.yaml");
  ASSERT_EQ(study.cells.size(), 3u);
  EXPECT_EQ(study.cells[0].id, "path=d_a_b");
  EXPECT_EQ(study.cells[1].id, "path=d_a_b~2");
  EXPECT_EQ(study.cells[2].id, "path=d_a_b~3");
  EXPECT_EQ(study.cells[1].config.data.path, "d/a_b");
  EXPECT_EQ(study.find("path=d_a_b~3")->config.data.path, "d/a,b");
}

TEST(StudyIdentity, ARepeatedValueIsStillTheSameRun) {
  expect_contains(error_for("sweep:\n  data.path: [d/a, d/b, d/a]\n"),
                  "sweep.data.path[2]: the same run as value [0]");
}

}  // namespace
}  // namespace actlab
