// End-to-end: configurations the parser must refuse or accept, as a user meets them through
// `actlab run` and `actlab probe-init`: never an abort, and every error names where it is.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "process.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "actlab_config_errors_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path write(const fs::path& dir, const std::string& text) {
  std::ofstream(dir / "c.yaml") << text;
  return dir / "c.yaml";
}

std::string tiny_data() {
  return "data: {dataset: idx, path: " + test::test_path("../data/fixtures/tiny") +
         ", validation_size: 0, train_subset: 100, test_subset: 100}\n";
}

void expect_refused(const test::Outcome& outcome, const std::string& expected) {
  EXPECT_EQ(outcome.signal, 0) << "crashed: " << outcome.log;
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_NE(outcome.log.find(expected), std::string::npos) << outcome.log;
}

// A study without a model: section runs with the default model, as the same file without sweep:.
TEST(ConfigErrors, AStudyWithoutAModelSectionRunsAndProbes) {
  const fs::path dir = fresh_dir("no_model");
  const fs::path config = write(dir, "name: m3\nthreads: 1\n" + tiny_data() +
                                         "train: {epochs: 1, batch_size: 50}\n"
                                         "probes: {probe_set_size: 16}\n"
                                         "sweep:\n  optimizer.learning_rate: [0.1, 0.2]\n");
  const test::Outcome run =
      test::run({"run", config.string(), "--out", (dir / "study").string()}, dir, "run");
  EXPECT_EQ(run.signal, 0) << run.log;
  EXPECT_EQ(run.exit_code, 0) << run.log;
  const test::Outcome probe =
      test::run({"probe-init", config.string(), "--seeds", "1", "--out", (dir / "probe").string()},
                dir, "probe");
  EXPECT_EQ(probe.signal, 0) << probe.log;
  EXPECT_EQ(probe.exit_code, 0) << probe.log;
}

TEST(ConfigErrors, AnOverrideValueIsReportedAtTheOverride) {
  const fs::path dir = fresh_dir("override");
  const fs::path config = write(dir, "name: x\nthreads: 1\n" + tiny_data());
  const test::Outcome nan =
      test::run({"run", config.string(), "--set", "optimizer.learning_rate=.nan"}, dir, "nan");
  expect_refused(nan,
                 "--set optimizer.learning_rate=.nan: optimizer.learning_rate: expected a "
                 "finite number");
  EXPECT_EQ(nan.log.find(":1:1"), std::string::npos) << nan.log;
  expect_refused(test::run({"run", config.string(), "--set", "seed="}, dir, "empty"),
                 "--set seed=: seed: expected an integer, got nothing");
}

TEST(ConfigErrors, ADuplicateKeyIsRefusedWithBothPlaces) {
  const fs::path dir = fresh_dir("duplicate");
  const fs::path config =
      write(dir, "name: x\nthreads: 1\n" + tiny_data() +
                     "optimizer:\n  learning_rate: 0.05\n  learning_rate: 0.5\n");
  const test::Outcome outcome = test::run({"run", config.string()}, dir);
  expect_refused(outcome, "c.yaml:6:3: optimizer.learning_rate: given twice (first at ");
  EXPECT_NE(outcome.log.find("c.yaml:5:3)"), std::string::npos) << outcome.log;
}

}  // namespace
}  // namespace actlab
