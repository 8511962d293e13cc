// Study tables from hand-made run folders whose numbers are known: per-cell rows, per-group mean,
// sample standard deviation and counts, the aligned table, and the manifest.
#include "actlab/experiment/study_summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "actlab/core/error.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "actlab_study_summary_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A run folder with one metrics line per test accuracy and a summary.json with `status`.
void make_run(const fs::path& dir, const std::vector<double>& test_accuracy,
              const std::string& status, double train_loss = 0.5) {
  fs::create_directories(dir);
  std::ofstream metrics(dir / "metrics.jsonl");
  for (std::size_t e = 0; e < test_accuracy.size(); ++e) {
    nlohmann::json j = {{"epoch", e + 1},
                        {"test_accuracy", test_accuracy[e]},
                        {"train_loss", train_loss},
                        {"validation_loss", 0.25},
                        {"vanishing_ratio", 0.01},
                        {"max_dead_fraction", 0.125},
                        {"mean_saturated_fraction", 0.5},
                        {"seconds", 2.0},
                        {"samples_per_second", 1000.0}};
    metrics << j.dump() << "\n";
  }
  if (!status.empty()) {
    nlohmann::json summary = {{"status", status},
                              {"seconds", 10.0},
                              {"stopped_early", false},
                              {"run", {{"config_digest", "abc"}}}};
    if (status == "diverged")
      summary["message"] = "diverged at step 7: \"0.linear.weight\", layer 0";
    std::ofstream(dir / "summary.json") << summary.dump();
  }
}

StudyManifest manifest_of(const std::vector<std::pair<std::string, std::string>>& cells) {
  StudyManifest m;
  m.name = "demo";
  m.config_file = "study.yaml";
  m.keys = {{"model.activation", "activation"}, {"seed", "seed"}};
  for (const auto& [activation, seed] : cells)
    m.cells.push_back({"activation=" + activation + ",seed=" + seed, {activation, seed}, "abc"});
  return m;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

std::size_t display_width(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

TEST(StudySummary, CellResultIsReadFromTheRunFolder) {
  const fs::path dir = fresh_dir("cell");
  make_run(dir / "a", {0.5, 0.8, 0.7}, "completed", 0.3);
  const CellResult r = read_cell_result(dir / "a", 0.75);
  EXPECT_EQ(r.status, "completed");
  EXPECT_TRUE(r.finished());
  EXPECT_EQ(r.epochs_completed, 3u);
  EXPECT_EQ(r.final_test_accuracy, 0.7);
  EXPECT_EQ(r.best_test_accuracy, 0.8);
  EXPECT_EQ(r.best_epoch, 2);
  EXPECT_EQ(r.epoch_reached_target, 2);
  EXPECT_EQ(r.final_train_loss, 0.3);
  EXPECT_EQ(r.final_validation_loss, 0.25);
  EXPECT_EQ(r.vanishing_ratio, 0.01);
  EXPECT_EQ(r.max_dead_fraction, 0.125);
  EXPECT_EQ(r.mean_saturated_fraction, 0.5);
  EXPECT_EQ(r.seconds, 10.0);
  EXPECT_EQ(r.samples_per_second, 1000.0);
  EXPECT_EQ(r.config_digest, "abc");
  EXPECT_TRUE(std::isnan(read_cell_result(dir / "a", 0.9).epoch_reached_target));
  EXPECT_TRUE(std::isnan(read_cell_result(dir / "a", std::nullopt).epoch_reached_target));
}

TEST(StudySummary, UnfinishedCellsAreIncompleteOrPending) {
  const fs::path dir = fresh_dir("unfinished");
  make_run(dir / "killed", {0.5}, "");
  EXPECT_EQ(read_cell_result(dir / "killed", std::nullopt).status, "incomplete");
  EXPECT_EQ(read_cell_result(dir / "killed", std::nullopt).epochs_completed, 1u);
  EXPECT_EQ(read_cell_result(dir / "absent", std::nullopt).status, "pending");
  make_run(dir / "stopped", {0.5}, "interrupted");
  EXPECT_FALSE(read_cell_result(dir / "stopped", std::nullopt).finished());
  make_run(dir / "nan", {0.5}, "diverged");
  EXPECT_TRUE(read_cell_result(dir / "nan", std::nullopt).finished());
}

TEST(StudySummary, SummaryCsvHasOneRowPerCell) {
  const fs::path dir = fresh_dir("csv");
  const StudyManifest m = manifest_of({{"relu", "1"}, {"relu", "2"}, {"tanh", "1"}});
  make_run(dir / m.cells[0].id, {0.5, 0.8}, "completed");
  make_run(dir / m.cells[1].id, {0.4}, "diverged");
  const std::vector<std::string> lines = lines_of(summary_csv(m, read_study_results(dir, m, 0.6)));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "run_id,activation,seed,status,epochs_completed,final_test_accuracy,"
            "best_test_accuracy,best_epoch,epoch_reached_target,final_train_loss,"
            "final_validation_loss,vanishing_ratio,max_dead_fraction,mean_saturated_fraction,"
            "stopped_early,seconds,samples_per_second,message");
  EXPECT_EQ(lines[1],
            "\"activation=relu,seed=1\",relu,1,completed,2,0.8,0.8,2,2,0.5,0.25,0.01,0.125,0.5,"
            "false,10,1000,");
  EXPECT_EQ(lines[2],
            "\"activation=relu,seed=2\",relu,2,diverged,1,0.4,0.4,1,,0.5,0.25,0.01,0.125,0.5,"
            "false,10,1000,\"diverged at step 7: \"\"0.linear.weight\"\", layer 0\"");
  EXPECT_EQ(lines[3], "\"activation=tanh,seed=1\",tanh,1,pending,0,,,,,,,,,,,,,");
}

TEST(StudySummary, GroupsAggregateCompletedSeedsWithSampleStd) {
  const fs::path dir = fresh_dir("groups");
  const StudyManifest m =
      manifest_of({{"relu", "1"}, {"relu", "2"}, {"relu", "3"}, {"tanh", "1"}, {"tanh", "2"}});
  make_run(dir / m.cells[0].id, {0.8}, "completed");
  make_run(dir / m.cells[1].id, {0.9}, "completed");
  make_run(dir / m.cells[2].id, {1.0}, "completed");
  make_run(dir / m.cells[3].id, {0.6, 0.7}, "completed");
  make_run(dir / m.cells[4].id, {0.1}, "diverged");
  const auto groups = summarize_groups(m, read_study_results(dir, m, 0.85));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].values, (std::vector<std::string>{"relu"}));
  EXPECT_EQ(groups[0].cells, 3u);
  EXPECT_EQ(groups[0].completed, 3u);
  EXPECT_EQ(groups[0].diverged, 0u);
  const Statistic& accuracy = groups[0].metrics[0];  // final_test_accuracy
  EXPECT_NEAR(accuracy.mean, 0.9, 1e-12);
  EXPECT_NEAR(accuracy.std, 0.1, 1e-12);  // sqrt(((-.1)² + 0 + .1²) / 2)
  EXPECT_EQ(accuracy.n, 3u);
  const Statistic& target = groups[0].metrics[2];  // epoch_reached_target: 0.9 and 1.0 reach 0.85
  EXPECT_EQ(target.n, 2u);
  EXPECT_EQ(target.mean, 1.0);
  // tanh: the diverged seed is counted, not averaged; one completed seed has no std.
  EXPECT_EQ(groups[1].completed, 1u);
  EXPECT_EQ(groups[1].diverged, 1u);
  EXPECT_EQ(groups[1].metrics[0].mean, 0.7);
  EXPECT_TRUE(std::isnan(groups[1].metrics[0].std));

  const auto csv = lines_of(groups_csv(m, groups));
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[0].rfind("activation,cells,completed,diverged,final_test_accuracy_mean,"
                         "final_test_accuracy_std,final_test_accuracy_n,",
                         0),
            0u)
      << csv[0];
  EXPECT_EQ(csv[2].rfind("tanh,2,1,1,0.7,,1,", 0), 0u) << csv[2];
}

TEST(StudySummary, TableIsAlignedAndShowsMeanPlusMinusStd) {
  const fs::path dir = fresh_dir("table");
  const StudyManifest m = manifest_of({{"relu", "1"}, {"relu", "2"}, {"sigmoid", "1"}});
  make_run(dir / m.cells[0].id, {0.8}, "completed");
  make_run(dir / m.cells[1].id, {0.9}, "completed");
  make_run(dir / m.cells[2].id, {0.5}, "completed");
  const auto groups = summarize_groups(m, read_study_results(dir, m, 0.85));
  const auto lines = lines_of(groups_table(m, groups, 0.85));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("activation  n  diverged", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("epoch to 0.85"), std::string::npos);
  EXPECT_NE(lines[1].find("0.8500 ± 0.0707"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("1.0 (1/2)"), std::string::npos) << lines[1];  // one seed reached it
  EXPECT_NE(lines[2].find("— (0/1)"), std::string::npos) << lines[2];
  // The last column is right-aligned: every line has the same width.
  EXPECT_EQ(display_width(lines[1]), display_width(lines[0]));
  EXPECT_EQ(display_width(lines[2]), display_width(lines[0]));
  // Without a target the column is left out.
  EXPECT_EQ(lines_of(groups_table(m, groups, std::nullopt))[0].find("epoch to"), std::string::npos);
}

TEST(StudySummary, ManifestRoundTripsAndBadOnesAreRefused) {
  StudyManifest m = manifest_of({{"relu", "1"}, {"gelu", "2"}});
  m.target_accuracy = 0.85;
  m.overrides = {"train.epochs=2"};
  const fs::path dir = fresh_dir("manifest");
  write_manifest(dir, m);
  const StudyManifest r = read_manifest(dir);
  EXPECT_EQ(r.to_json(), m.to_json());
  EXPECT_EQ(r.group_keys(), (std::vector<std::size_t>{0}));
  EXPECT_THROW(read_manifest(fresh_dir("no_manifest")), ResultsError);
  std::ofstream(dir / "study.json") << "{\"study\": 3}";
  EXPECT_THROW(read_manifest(dir), ResultsError);
}

TEST(StudySummary, AFolderHoldingAnotherConfigurationIsRefused) {
  const fs::path dir = fresh_dir("integrity");
  const StudyManifest manifest = manifest_of({{"relu", "1"}, {"relu", "2"}});
  make_run(dir / "activation=relu,seed=1", {0.5}, "completed");
  EXPECT_NO_THROW(check_study_folder(dir, manifest, {}));  // no study.json yet: cells checked
  make_run(dir / "activation=relu,seed=2", {0.5}, "completed");
  std::ofstream(dir / "activation=relu,seed=2" / "summary.json")
      << R"({"status": "completed", "run": {"config_digest": "def"}})";
  EXPECT_THROW(check_study_folder(dir, manifest, {}), ConfigError);
  fs::remove_all(dir / "activation=relu,seed=2");

  // A cell interrupted before any result still records its configuration in run.json.
  fs::create_directories(dir / "activation=relu,seed=2");
  std::ofstream(dir / "activation=relu,seed=2" / "run.json") << R"({"config_digest": "def"})";
  try {
    check_study_folder(dir, manifest, {});
    ADD_FAILURE() << "a cell of another configuration was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("activation=relu,seed=2 was run with digest def, the "
                                         "study's is abc"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir / "activation=relu,seed=2");

  // A study.json of other digests, or of other cells, is another study.
  StudyManifest other = manifest;
  other.cells[1].config_digest = "def";
  write_manifest(dir, other);
  EXPECT_THROW(check_study_folder(dir, manifest, {}), ConfigError);
  other = manifest_of({{"relu", "1"}, {"relu", "2"}, {"relu", "3"}});
  write_manifest(dir, other);
  EXPECT_THROW(check_study_folder(dir, manifest, {}), ConfigError);
  write_manifest(dir, manifest);
  EXPECT_NO_THROW(check_study_folder(dir, manifest, {}));
}

}  // namespace
}  // namespace actlab
