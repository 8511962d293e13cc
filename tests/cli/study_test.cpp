// End-to-end tests of studies: `actlab run STUDY.yaml` runs every cell and leaves the tables;
// sweep mistakes are one located error line; an interrupted or killed study resumes without
// recomputing a finished cell and ends exactly as an uninterrupted one; shards cover the study
// once and merge into the whole; a damaged checkpoint is refused by name.
#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "actlab/train/checkpoint.hpp"
#include "process.hpp"
#include "study_command.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;
using test::metrics_without_timing;
using test::Outcome;
using test::read_file;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "actlab_study_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A study on the tiny fixture (500 training examples): each epoch takes milliseconds.
fs::path write_study(const fs::path& dir, const std::string& sweep, int epochs = 2) {
  const fs::path file = dir / "study.yaml";
  std::ofstream(file) << "name: demo\n"
                         "seed: 1\n"
                         "data: {dataset: idx, path: "
                      << test::test_path("../data/fixtures/tiny")
                      << ", validation_size: 100}\n"
                         "model: {hidden: [16]}\n"
                         "optimizer: {learning_rate: 0.05, momentum: 0.9}\n"
                         "train: {epochs: "
                      << epochs
                      << ", batch_size: 64}\n"
                         "probes: {every_steps: 4, probe_set_size: 64}\n"
                         "target_accuracy: 0.5\n"
                      << sweep;
  return file;
}

// RFC 4180, enough for the tables actlab writes.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

// summary.csv as run id -> column -> value, without the columns that measure time.
std::map<std::string, std::map<std::string, std::string>> summary_table(const fs::path& dir) {
  const auto rows = parse_csv(read_file(dir / "summary.csv"));
  std::map<std::string, std::map<std::string, std::string>> table;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].size(), rows[0].size()) << "row " << r;
    for (std::size_t c = 1; c < rows[0].size() && c < rows[r].size(); ++c)
      if (rows[0][c] != "seconds" && rows[0][c] != "samples_per_second")
        table[rows[r][0]][rows[0][c]] = rows[r][c];
  }
  return table;
}

std::vector<std::string> cell_ids(const fs::path& study_dir) {
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(study_dir))
    if (entry.is_directory()) ids.push_back(entry.path().filename().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Every file under `dir` is whole: JSON parses, each metrics line parses, checkpoints pass their
// checksum, and no temporary file is left.
void expect_no_half_written_file(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const fs::path& p = entry.path();
    const std::string name = p.filename().string();
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << "temporary file left: " << p;
    if (p.extension() == ".json") {
      EXPECT_FALSE(nlohmann::json::parse(read_file(p), nullptr, false).is_discarded()) << p;
    }
    if (p.extension() == ".jsonl") {
      EXPECT_NO_THROW(metrics_without_timing(p)) << p;
    }
    if (name == "checkpoint.bin") {
      EXPECT_NO_THROW(read_checkpoint(p)) << p;
    }
    if (p.extension() == ".csv" || p.extension() == ".jsonl" || name == "log.txt") {
      const std::string text = read_file(p);
      EXPECT_TRUE(text.empty() || text.back() == '\n') << "ends mid-line: " << p;
    }
  }
}

ino_t inode(const fs::path& file) {
  struct stat s {};
  ::stat(file.c_str(), &s);
  return s.st_ino;
}

int error_lines(const std::string& log) {
  int n = 0;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line))
    n += line.find("error") != std::string::npos;
  return n;
}

TEST(Study, RunsEveryCellAndWritesTheTables) {
  const fs::path dir = scratch("grid");
  const auto study = write_study(dir, "sweep:\n  model.activation: [relu, tanh]\n  seed: [1, 2]\n");
  const fs::path out = dir / "out";
  const Outcome outcome = test::run({"run", study.string(), "--out", out.string()}, dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  EXPECT_EQ(cell_ids(out),
            (std::vector<std::string>{"activation=relu,seed=1", "activation=relu,seed=2",
                                      "activation=tanh,seed=1", "activation=tanh,seed=2"}));
  for (const auto& id : cell_ids(out))
    for (const char* file : {"config.yaml", "run.json", "metrics.jsonl", "probes.csv",
                             "checkpoint.bin", "summary.json", "log.txt"})
      EXPECT_TRUE(fs::exists(out / id / file)) << id << "/" << file;
  for (const char* file : {"study.json", "summary.csv", "summary_groups.csv"})
    EXPECT_TRUE(fs::exists(out / file)) << file;
  expect_no_half_written_file(out);

  const auto table = summary_table(out);
  ASSERT_EQ(table.size(), 4u);
  for (const auto& [id, row] : table) {
    EXPECT_EQ(row.at("status"), "completed") << id;
    EXPECT_EQ(row.at("epochs_completed"), "2") << id;
    EXPECT_FALSE(row.at("final_test_accuracy").empty()) << id;
  }
  EXPECT_EQ(table.at("activation=tanh,seed=2").at("activation"), "tanh");
  EXPECT_EQ(table.at("activation=tanh,seed=2").at("seed"), "2");
  // Each cell's final test accuracy is the last line of its metrics.jsonl.
  const auto last = metrics_without_timing(out / "activation=relu,seed=2" / "metrics.jsonl").back();
  EXPECT_DOUBLE_EQ(std::stod(table.at("activation=relu,seed=2").at("final_test_accuracy")),
                   last["test_accuracy"].get<double>());

  // The run records what produced it; the probe table names the cell (quoted: it has a comma).
  const auto meta = nlohmann::json::parse(read_file(out / "activation=tanh,seed=1" / "run.json"));
  EXPECT_EQ(meta["cell"], "activation=tanh,seed=1");
  for (const char* key : {"git_commit", "libraries", "seed", "threads", "actlab_version"})
    EXPECT_TRUE(meta.contains(key)) << key;
  EXPECT_NE(read_file(out / "activation=tanh,seed=1" / "probes.csv")
                .find("\n\"activation=tanh,seed=1\",0,1,"),
            std::string::npos);

  // The table goes to stdout; `actlab summary` prints the same one.
  EXPECT_NE(outcome.output.find("activation  n  diverged"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("\nrelu "), std::string::npos) << outcome.output;
  const Outcome summary = test::run({"summary", out.string()}, dir, "summary");
  EXPECT_EQ(summary.exit_code, 0) << summary.log;
  EXPECT_EQ(summary.output, outcome.output);
}

TEST(Study, SweepMistakesAreOneErrorLineWithTheirLocation) {
  const fs::path dir = scratch("mistakes");
  // The base is 8 lines: the sweep block starts on line 9, its first key at 10:3.
  const auto unknown = write_study(dir, "sweep:\n  model.actvation: [relu, tanh]\n");
  Outcome outcome = test::run({"run", unknown.string()}, dir);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_EQ(error_lines(outcome.log), 1) << outcome.log;
  EXPECT_NE(outcome.log.find("study.yaml:10:3: sweep.model.actvation: unknown key"),
            std::string::npos)
      << outcome.log;
  const auto empty = write_study(dir, "sweep:\n  seed: []\n");
  outcome = test::run({"run", empty.string()}, dir);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_EQ(error_lines(outcome.log), 1) << outcome.log;
  EXPECT_NE(outcome.log.find("study.yaml:10:3: sweep.seed: an empty list"), std::string::npos)
      << outcome.log;
  EXPECT_FALSE(fs::exists(dir / "runs")) << "nothing may run before the whole study is valid";
}

TEST(Study, ARerunNeedsResumeAndRecomputesNoFinishedCell) {
  const fs::path dir = scratch("rerun");
  const auto study = write_study(dir, "sweep:\n  seed: [1, 2]\n");
  const fs::path out = dir / "out";
  ASSERT_EQ(test::run({"run", study.string(), "--out", out.string()}, dir).exit_code, 0);
  const fs::path summary = out / "seed=1" / "summary.json";
  const ino_t before = inode(summary);
  const std::string content = read_file(summary);

  const Outcome refused = test::run({"run", study.string(), "--out", out.string()}, dir);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.log.find("add --resume"), std::string::npos) << refused.log;
  const Outcome resumed =
      test::run({"run", study.string(), "--out", out.string(), "--resume"}, dir);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.log;
  EXPECT_NE(resumed.log.find("2 finished already, 0 to run"), std::string::npos) << resumed.log;
  EXPECT_EQ(inode(summary), before);  // not rewritten
  EXPECT_EQ(read_file(summary), content);

  // A finished cell produced by another configuration is not passed off as this one.
  const Outcome changed = test::run(
      {"run", study.string(), "--out", out.string(), "--resume", "--set", "train.epochs=3"}, dir);
  EXPECT_EQ(changed.exit_code, 2);
  EXPECT_NE(changed.log.find("train.epochs is 2 before, 3 now"), std::string::npos) << changed.log;
}

TEST(Study, KillNineThenResumeRecomputesNothingFinishedAndEndsAsIfUninterrupted) {
  // Cells run one at a time, each long enough (40 epochs) to be caught in the middle.
  const fs::path dir = scratch("kill9");
  const auto study = write_study(dir, "sweep:\n  seed: [1, 2, 3]\n", 40);
  const fs::path out = dir / "out";
  const std::vector<std::string> args = {"run", study.string(), "--out", out.string(), "--jobs",
                                         "1",   "--threads",    "1"};
  // Wait until one cell is finished and the next one is part-way, then kill -9 the runner (its
  // cells die with it). Should the next cell finish in the instant before the kill, try again.
  std::string partial;
  for (int attempt = 0; attempt < 5 && partial.empty(); ++attempt) {
    fs::remove_all(out);
    const test::Process runner = test::start(args, dir, "killed");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto caught = [&] {
      bool finished = false, in_progress = false;
      for (const char* id : {"seed=1", "seed=2", "seed=3"}) {
        finished |= fs::exists(out / id / "summary.json");
        in_progress |=
            fs::exists(out / id / "checkpoint.bin") && !fs::exists(out / id / "summary.json");
      }
      return finished && in_progress;
    };
    while (!caught() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ::kill(runner.pid, SIGKILL);
    runner.wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // its cell dies with it
    for (const char* id : {"seed=1", "seed=2", "seed=3"})
      if (fs::exists(out / id / "checkpoint.bin") && !fs::exists(out / id / "summary.json"))
        partial = id;
  }
  ASSERT_FALSE(partial.empty()) << "could not catch a cell in progress";

  // What the kill left: whole files only (temporary files aside: the resume clears them).
  std::map<std::string, std::pair<ino_t, std::string>> finished;
  for (const char* id : {"seed=1", "seed=2", "seed=3"})
    if (fs::exists(out / id / "summary.json"))
      finished[id] = {inode(out / id / "summary.json"), read_file(out / id / "summary.json")};
  ASSERT_FALSE(finished.empty());
  const auto epochs_before = metrics_without_timing(out / partial / "metrics.jsonl").size();

  const Outcome resumed = test::run(
      [&] {
        auto a = args;
        a.push_back("--resume");
        return a;
      }(),
      dir, "resumed");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.log;
  expect_no_half_written_file(out);
  for (const auto& [id, before] : finished) {  // no finished cell was run again
    EXPECT_EQ(inode(out / id / "summary.json"), before.first) << id;
    EXPECT_EQ(read_file(out / id / "summary.json"), before.second) << id;
  }
  const auto meta = nlohmann::json::parse(read_file(out / partial / "run.json"));
  ASSERT_TRUE(meta.contains("resumed")) << meta.dump();
  // It resumes from the last checkpoint. The kill may land between an epoch's metrics line and its
  // checkpoint (two atomic writes), so metrics.jsonl may hold one epoch more; that epoch is redone.
  const auto from_epoch = meta["resumed"][0]["from_epoch"].get<std::size_t>();
  EXPECT_GE(from_epoch, 1u);
  EXPECT_TRUE(epochs_before == from_epoch || epochs_before == from_epoch + 1)
      << "metrics.jsonl had " << epochs_before << " epochs, resumed from " << from_epoch;
  for (const auto& [id, row] : summary_table(out))
    EXPECT_EQ(row.at("status"), "completed") << id;

  // The interrupted cell ends exactly as an uninterrupted run of it.
  const fs::path fresh = dir / "fresh";
  const Outcome whole = test::run(
      {"run", study.string(), "--cell", partial, "--out", fresh.string(), "--threads", "1"}, dir,
      "fresh");
  ASSERT_EQ(whole.exit_code, 0) << whole.log;
  const auto resumed_metrics = metrics_without_timing(out / partial / "metrics.jsonl");
  EXPECT_EQ(resumed_metrics.size(), 40u);
  EXPECT_EQ(resumed_metrics, metrics_without_timing(fresh / "metrics.jsonl"));
  EXPECT_EQ(read_file(out / partial / "probes.csv"), read_file(fresh / "probes.csv"));
}

// SIGINT (Ctrl-C) and SIGTERM (kill, Slurm) alike: the runner asks each running cell to stop after
// its current step, the cells are marked interrupted (one not started stays pending), the runner
// exits 130, and --resume ends every cell exactly as an uninterrupted run of it (timing aside).
class StudyStopSignal : public ::testing::TestWithParam<int> {};

TEST_P(StudyStopSignal, MarksRunningCellsInterruptedExits130AndResumesBitIdentical) {
  const fs::path dir = scratch(std::string("stop_") + sigabbrev_np(GetParam()));
  const auto study = write_study(dir, "sweep:\n  seed: [1, 2, 3]\n", 30);
  const fs::path out = dir / "out";
  const std::vector<std::string> args = {"run", study.string(), "--out", out.string(), "--jobs",
                                         "2",   "--threads",    "1"};
  const test::Process runner = test::start(args, dir);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(fs::exists(out / "seed=1" / "metrics.jsonl") &&
           fs::exists(out / "seed=2" / "metrics.jsonl")) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(runner.pid, GetParam());
  const Outcome outcome = runner.wait();
  EXPECT_EQ(outcome.exit_code, 130) << outcome.log;
  ASSERT_FALSE(outcome.log.empty());
  EXPECT_EQ(outcome.log.back(), '\n');  // the last line of output is finished
  EXPECT_NE(outcome.log.find("--resume"), std::string::npos) << outcome.log;
  const auto table = summary_table(out);
  EXPECT_EQ(table.at("seed=1").at("status"), "interrupted");
  EXPECT_EQ(table.at("seed=2").at("status"), "interrupted");
  EXPECT_EQ(table.at("seed=3").at("status"), "pending");
  for (const char* id : {"seed=1", "seed=2"}) {
    const auto summary = nlohmann::json::parse(read_file(out / id / "summary.json"));
    EXPECT_EQ(summary["status"], "interrupted") << id;
    EXPECT_LT(summary["epochs_completed"].get<int>(), 30) << id;
  }
  expect_no_half_written_file(out);

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  const Outcome resumed = test::run(resume, dir, "resumed");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.log;
  for (const char* id : {"seed=1", "seed=2", "seed=3"}) {
    const fs::path fresh = dir / "fresh" / id;
    const Outcome whole =
        test::run({"run", study.string(), "--cell", id, "--out", fresh.string(), "--threads", "1"},
                  dir, "fresh");
    ASSERT_EQ(whole.exit_code, 0) << whole.log;
    EXPECT_EQ(metrics_without_timing(out / id / "metrics.jsonl"),
              metrics_without_timing(fresh / "metrics.jsonl"))
        << id;
    EXPECT_EQ(read_file(out / id / "probes.csv"), read_file(fresh / "probes.csv")) << id;
  }
  for (const auto& [id, row] : summary_table(out))
    EXPECT_EQ(row.at("status"), "completed") << id;
}

INSTANTIATE_TEST_SUITE_P(SigintAndSigterm, StudyStopSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& param_info) {
                           return std::string(sigabbrev_np(param_info.param));
                         });

TEST(Study, ShardsCoverEveryCellOnceAndMergeIntoTheWholeStudy) {
  const fs::path dir = scratch("shards");
  const auto study =
      write_study(dir, "sweep:\n  model.activation: [relu, tanh]\n  seed: [1, 2, 3]\n", 1);
  const fs::path whole = dir / "whole";
  ASSERT_EQ(
      test::run({"run", study.string(), "--out", whole.string(), "--threads", "1"}, dir, "whole")
          .exit_code,
      0);

  std::multiset<std::string> ran;
  std::vector<std::string> shard_dirs;
  for (int i = 1; i <= 3; ++i) {
    const fs::path shard = dir / ("shard" + std::to_string(i));
    const Outcome o = test::run({"run", study.string(), "--out", shard.string(), "--shard",
                                 std::to_string(i) + "/3", "--threads", "1"},
                                dir, "shard" + std::to_string(i));
    ASSERT_EQ(o.exit_code, 0) << o.log;
    for (const auto& id : cell_ids(shard))
      ran.insert(id);
    shard_dirs.push_back(shard.string());
  }
  // Every cell exactly once.
  const auto all = cell_ids(whole);
  EXPECT_EQ(ran.size(), all.size());
  EXPECT_EQ(std::set<std::string>(ran.begin(), ran.end()),
            std::set<std::string>(all.begin(), all.end()));

  std::vector<std::string> merge = {"merge"};
  merge.insert(merge.end(), shard_dirs.begin(), shard_dirs.end());
  merge.push_back("--out");
  merge.push_back((dir / "merged").string());
  const Outcome merged = test::run(merge, dir, "merge");
  ASSERT_EQ(merged.exit_code, 0) << merged.log;
  EXPECT_EQ(summary_table(dir / "merged"), summary_table(whole));
  EXPECT_EQ(cell_ids(dir / "merged"), all);
  expect_no_half_written_file(dir / "merged");

  // Shards sharing one folder: merging it in place rebuilds the tables of the whole study.
  const fs::path shared = dir / "shared";
  for (const char* shard : {"1/2", "2/2"})
    ASSERT_EQ(test::run({"run", study.string(), "--out", shared.string(), "--shard", shard,
                         "--threads", "1"},
                        dir, "shared")
                  .exit_code,
              0);
  ASSERT_EQ(test::run({"merge", shared.string()}, dir, "merge_shared").exit_code, 0);
  EXPECT_EQ(summary_table(shared), summary_table(whole));
}

TEST(Study, ADivergedCellIsRecordedAndTheStudyGoesOn) {
  const fs::path dir = scratch("diverged");
  const auto study = write_study(dir, "sweep:\n  optimizer.learning_rate: [1.0e+30, 0.05]\n");
  const fs::path out = dir / "out";
  const Outcome outcome = test::run({"run", study.string(), "--out", out.string()}, dir);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.log;
  const auto table = summary_table(out);
  EXPECT_EQ(table.at("learning_rate=1.0e+30").at("status"), "diverged");
  EXPECT_NE(table.at("learning_rate=1.0e+30").at("message").find("diverged at step"),
            std::string::npos);
  EXPECT_EQ(table.at("learning_rate=0.05").at("status"), "completed");
}

TEST(Study, ADamagedCheckpointIsRefusedByName) {
  const fs::path dir = scratch("damaged");
  const auto study = write_study(dir, "");  // a single run
  const fs::path out = dir / "run";
  ASSERT_EQ(test::run({"run", study.string(), "--out", out.string()}, dir).exit_code, 0);
  // As if killed before the summary was written, with the checkpoint damaged on disk.
  fs::remove(out / "summary.json");
  std::string bytes = read_file(out / "checkpoint.bin");
  bytes[bytes.size() / 2] ^= 0x40;
  std::ofstream(out / "checkpoint.bin", std::ios::binary) << bytes;
  Outcome outcome = test::run({"run", study.string(), "--out", out.string(), "--resume"}, dir);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_EQ(error_lines(outcome.log), 1) << outcome.log;
  EXPECT_NE(outcome.log.find((out / "checkpoint.bin").string() + ": corrupted checkpoint: CRC-32"),
            std::string::npos)
      << outcome.log;

  std::ofstream(out / "checkpoint.bin", std::ios::binary) << bytes.substr(0, 100);
  outcome = test::run({"run", study.string(), "--out", out.string(), "--resume"}, dir);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_NE(outcome.log.find("checkpoint.bin: truncated"), std::string::npos) << outcome.log;
}

// Off a terminal (a Slurm job's output, `2> log`), what `tail -f` shows: no carriage returns or
// escape sequences, one line per finished cell, each but the last with the study's ETA.
TEST(Study, OffATerminalEachFinishedCellIsOneLineWithTheEta) {
  const fs::path dir = scratch("progress_file");
  const auto study = write_study(dir, "sweep:\n  seed: [1, 2, 3]\n");
  const Outcome outcome =
      test::run({"run", study.string(), "--out", (dir / "out").string(), "--jobs", "1"}, dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  EXPECT_EQ(outcome.log.find('\r'), std::string::npos) << outcome.log;
  EXPECT_EQ(outcome.log.find('\033'), std::string::npos) << outcome.log;
  std::vector<std::string> cell_lines;
  std::istringstream lines(outcome.log);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("[", 0) == 0 && line.find("] completed") != std::string::npos)
      cell_lines.push_back(line);
  ASSERT_EQ(cell_lines.size(), 3u) << outcome.log;
  for (std::size_t i = 0; i + 1 < cell_lines.size(); ++i)
    EXPECT_NE(cell_lines[i].find(" · ETA "), std::string::npos) << cell_lines[i];
  EXPECT_EQ(cell_lines.back().find("ETA"), std::string::npos) << cell_lines.back();
}

// On a terminal the study's progress line is redrawn in place, above which the cell lines appear.
TEST(Study, OnATerminalTheProgressLineIsRedrawnInPlace) {
  const fs::path dir = scratch("progress_terminal");
  const auto study = write_study(dir, "sweep:\n  seed: [1, 2]\n", 20);
  const std::string out = (dir / "out").string();
  std::vector<std::string> storage = {ACTLAB_BINARY, "run", study.string(), "--out", out,
                                      "--jobs",      "1"};
  std::vector<char*> argv;
  for (auto& a : storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int terminal = -1;
  const pid_t pid = ::forkpty(&terminal, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execv(ACTLAB_BINARY, argv.data());
    ::_exit(127);
  }
  std::string shown;
  char buffer[4096];
  for (ssize_t n; (n = ::read(terminal, buffer, sizeof(buffer))) > 0;)
    shown.append(buffer, static_cast<std::size_t>(n));  // EIO once the child has closed the pty
  ::close(terminal);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << shown;
  EXPECT_NE(shown.find("\r\033[Kstudy demo ["), std::string::npos) << shown;
  EXPECT_NE(shown.find("% · 0/2 done · 1 running"), std::string::npos) << shown;
  EXPECT_NE(shown.find("] completed  seed=1"), std::string::npos) << shown;
}

TEST(Study, DefaultParallelismIsOneSingleThreadedCellPerCore) {
  using cli::choose_parallelism;
  auto p = choose_parallelism(std::nullopt, std::nullopt, 0, 2, 12);
  EXPECT_EQ(p.jobs, 2);
  EXPECT_EQ(p.threads, 1);
  p = choose_parallelism(std::nullopt, std::nullopt, 0, 16, 4);  // no more jobs than cells
  EXPECT_EQ(p.jobs, 4);
  EXPECT_EQ(p.threads, 1);
  p = choose_parallelism(std::nullopt, std::nullopt, 0, 2, 1);  // spare cores are not given away
  EXPECT_EQ(p.jobs, 1);
  EXPECT_EQ(p.threads, 1);
  p = choose_parallelism(std::nullopt, 2, 0, 8, 12);  // --threads 2: 4 cells at once
  EXPECT_EQ(p.jobs, 4);
  EXPECT_EQ(p.threads, 2);
  p = choose_parallelism(std::nullopt, std::nullopt, 4, 8, 12);  // threads: 4 in the config
  EXPECT_EQ(p.jobs, 2);
  EXPECT_EQ(p.threads, 4);
  p = choose_parallelism(3, std::nullopt, 0, 2, 12);  // --jobs as given
  EXPECT_EQ(p.jobs, 3);
  EXPECT_EQ(p.threads, 1);
}

}  // namespace
}  // namespace actlab
