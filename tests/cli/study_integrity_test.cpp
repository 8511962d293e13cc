// A study folder holds one configuration: a shard, a cell, a resume or a merge of another
// configuration is refused (exit 2) with the differing key named, before anything is written, and
// `summary` refuses a folder that mixes configurations instead of averaging them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;
using test::Outcome;
using test::read_file;

constexpr int kExitBadInput = 2;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "actlab_study_integrity_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Four cells on the tiny fixture (relu/tanh × seed 1, 2), one epoch each: milliseconds.
// Grid order: relu 1, relu 2, tanh 1, tanh 2; shard 1/2 holds relu 1 and tanh 1.
fs::path write_tiny_study(const fs::path& dir) {
  const fs::path file = dir / "tiny.yaml";
  std::ofstream(file) << "name: tiny\n"
                         "data: {dataset: idx, path: "
                      << test::test_path("../data/fixtures/tiny")
                      << ", validation_size: 100}\n"
                         "model: {hidden: [16]}\n"
                         "optimizer: {learning_rate: 0.05}\n"
                         "train: {epochs: 1, batch_size: 64}\n"
                         "sweep:\n"
                         "  model.activation: [relu, tanh]\n"
                         "  seed: [1, 2]\n";
  return file;
}

// Runs actlab in `dir` (its output in files named `name`); a run gets one thread.
Outcome actlab(const fs::path& dir, const std::string& name, std::vector<std::string> args) {
  if (args.front() == "run") args.insert(args.end(), {"--threads", "1"});
  return test::run(args, dir, name);
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(StudyIntegrity, AShardWithOtherOverridesIsRefusedBeforeRunning) {
  const fs::path dir = scratch("shard_overrides");
  const fs::path study = write_tiny_study(dir);
  const fs::path out = dir / "out";
  ASSERT_EQ(actlab(dir, "shard1", {"run", study.string(), "--out", out.string(), "--shard", "1/2"})
                .exit_code,
            0);
  const std::string manifest = read_file(out / "study.json");

  const Outcome other = actlab(dir, "shard2",
                               {"run", study.string(), "--out", out.string(), "--shard", "2/2",
                                "--set", "optimizer.learning_rate=0.5"});
  EXPECT_EQ(other.exit_code, kExitBadInput) << other.log;
  expect_contains(other.log, "optimizer.learning_rate is 0.05 before, 0.5 now");
  EXPECT_FALSE(fs::exists(out / "activation=relu,seed=2"));
  EXPECT_FALSE(fs::exists(out / "activation=tanh,seed=2"));
  EXPECT_EQ(read_file(out / "study.json"), manifest);

  // The same shard without the override completes the study.
  EXPECT_EQ(
      actlab(dir, "shard2_same", {"run", study.string(), "--out", out.string(), "--shard", "2/2"})
          .exit_code,
      0);
  EXPECT_EQ(actlab(dir, "summary", {"summary", out.string()}).exit_code, 0);
}

TEST(StudyIntegrity, ACellIsNotRunIntoTheFolderOfAnotherCell) {
  const fs::path dir = scratch("cell_folder");
  const fs::path study = write_tiny_study(dir);
  const fs::path out = dir / "out";
  ASSERT_EQ(actlab(dir, "shard1", {"run", study.string(), "--out", out.string(), "--shard", "1/2"})
                .exit_code,
            0);
  const Outcome o = actlab(dir, "cell",
                           {"run", study.string(), "--cell", "activation=relu,seed=2", "--out",
                            (out / "activation=tanh,seed=2").string()});
  EXPECT_EQ(o.exit_code, kExitBadInput) << o.log;
  expect_contains(o.log, "model.activation");
  EXPECT_FALSE(fs::exists(out / "activation=tanh,seed=2"));

  // Nor a cell with other overrides into its own place in the study.
  const Outcome changed =
      actlab(dir, "cell_changed",
             {"run", study.string(), "--cell", "activation=relu,seed=2", "--out",
              (out / "activation=relu,seed=2").string(), "--set", "optimizer.learning_rate=0.5"});
  EXPECT_EQ(changed.exit_code, kExitBadInput) << changed.log;
  expect_contains(changed.log, "optimizer.learning_rate is 0.05 before, 0.5 now");
  EXPECT_FALSE(fs::exists(out / "activation=relu,seed=2"));
}

TEST(StudyIntegrity, SummaryRefusesAFolderThatMixesConfigurations) {
  const fs::path dir = scratch("summary_mix");
  const fs::path study = write_tiny_study(dir);
  const fs::path out = dir / "out";
  ASSERT_EQ(actlab(dir, "shard1", {"run", study.string(), "--out", out.string(), "--shard", "1/2"})
                .exit_code,
            0);
  // A cell run elsewhere with another learning rate, then copied in by hand.
  const fs::path elsewhere = dir / "elsewhere" / "activation=relu,seed=2";
  ASSERT_EQ(actlab(dir, "cell",
                   {"run", study.string(), "--cell", "activation=relu,seed=2", "--out",
                    elsewhere.string(), "--set", "optimizer.learning_rate=0.5"})
                .exit_code,
            0);
  fs::copy(elsewhere, out / "activation=relu,seed=2", fs::copy_options::recursive);

  const Outcome o = actlab(dir, "summary", {"summary", out.string()});
  EXPECT_EQ(o.exit_code, kExitBadInput) << o.log << o.output;
  expect_contains(o.log, "activation=relu,seed=2");
  expect_contains(o.log, "optimizer.learning_rate is 0.5 before, 0.05 now");
  EXPECT_EQ(o.output, "");
}

TEST(StudyIntegrity, MergeIntoAFolderOfAnotherConfigurationIsRefused) {
  const fs::path dir = scratch("merge_other");
  const fs::path study = write_tiny_study(dir);
  const fs::path a = dir / "a", b = dir / "b";
  ASSERT_EQ(actlab(dir, "a", {"run", study.string(), "--out", a.string()}).exit_code, 0);
  ASSERT_EQ(
      actlab(dir, "b",
             {"run", study.string(), "--out", b.string(), "--set", "optimizer.learning_rate=0.5"})
          .exit_code,
      0);
  const std::string manifest = read_file(b / "study.json");
  const std::string table = read_file(b / "summary.csv");

  const Outcome o = actlab(dir, "merge", {"merge", a.string(), "--out", b.string()});
  EXPECT_EQ(o.exit_code, kExitBadInput) << o.log;
  expect_contains(o.log, "optimizer.learning_rate");
  EXPECT_EQ(o.output, "");
  EXPECT_EQ(read_file(b / "study.json"), manifest);
  EXPECT_EQ(read_file(b / "summary.csv"), table);
}

TEST(StudyIntegrity, AResumeWithAChangedConfigurationRunsNoCell) {
  const fs::path dir = scratch("resume_changed");
  const fs::path study = write_tiny_study(dir);
  const fs::path out = dir / "out";
  ASSERT_EQ(actlab(dir, "first", {"run", study.string(), "--out", out.string()}).exit_code, 0);
  // As if every cell had been interrupted before its first checkpoint: the configuration and
  // run.json are written, no results yet.
  for (const auto& entry : fs::directory_iterator(out)) {
    if (!entry.is_directory()) continue;
    for (const char* file : {"summary.json", "metrics.jsonl", "checkpoint.bin"})
      fs::remove(entry.path() / file);
  }
  const std::string manifest = read_file(out / "study.json");

  const Outcome o = actlab(dir, "resume",
                           {"run", study.string(), "--out", out.string(), "--resume", "--set",
                            "optimizer.learning_rate=0.5"});
  EXPECT_EQ(o.exit_code, kExitBadInput) << o.log;
  expect_contains(o.log, "optimizer.learning_rate is 0.05 before, 0.5 now");
  EXPECT_EQ(read_file(out / "study.json"), manifest);
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.is_directory()) {
      EXPECT_FALSE(fs::exists(entry.path() / "summary.json")) << entry.path();
    }
  }

  // Resumed as it was given, every cell completes.
  EXPECT_EQ(actlab(dir, "resume_same", {"run", study.string(), "--out", out.string(), "--resume"})
                .exit_code,
            0);
}

}  // namespace
}  // namespace actlab
