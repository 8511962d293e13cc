// A run never destroys results nobody asked to replace, an interrupted run or study says exactly
// how to continue it, and the options that would make a run wrong or absurdly slow (a changed
// configuration on --resume, seeds past 2^63 - 1, far more threads than cores, an empty folder
// name) are refused with a message that says why.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "command_line.hpp"
#include "process.hpp"
#include "seed_range.hpp"
#include "stop_signal.hpp"
#include "support/golden.hpp"
#include "thread_count.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;
using test::Outcome;
using test::read_file;
using test::wait_for_file;

fs::path scratch(const std::string& name) {
  return test::scratch_folder("actlab_run_safety_test", name);
}

// A run on the tiny fixture (500 training examples): each epoch takes milliseconds.
fs::path write_config(const fs::path& dir, const std::string& extra = "") {
  const fs::path file = dir / "c.yaml";
  std::ofstream(file) << "name: tiny\nseed: 1\nthreads: 1\ndata: {dataset: idx, path: "
                      << test::test_path("../data/fixtures/tiny")
                      << ", validation_size: 100}\nmodel: {hidden: [16]}\n"
                         "optimizer: {learning_rate: 0.05, momentum: 0.9}\n"
                         "train: {epochs: 2, batch_size: 32}\nprobes: {every_steps: 5}\n"
                      << extra;
  return file;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The text after "continue with: " on the log's line that says it.
std::string continue_hint(const std::string& log) {
  const std::string marker = "continue with: ";
  const std::size_t start = log.find(marker);
  if (start == std::string::npos) return "";
  const std::size_t end = log.find('\n', start);
  return log.substr(start + marker.size(), end - start - marker.size());
}

// What the hint must say after `actlab args...` was interrupted: the same words, with --resume.
std::string resume_of(const std::vector<std::string>& args) {
  std::vector<std::string> words = {ACTLAB_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  words.push_back("--resume");
  return cli::shell_command(words);
}

TEST(RunSafety, ARunIntoAFolderWithResultsIsRefusedUnlessResumedOrOverwritten) {
  const fs::path dir = scratch("refuse");
  const fs::path config = write_config(dir);
  const fs::path out = dir / "out";
  ASSERT_EQ(test::run({"run", config, "--out", out}, dir).exit_code, 0);
  const std::string summary = read_file(out / "summary.json");
  const std::string metrics = read_file(out / "metrics.jsonl");

  const Outcome refused =
      test::run({"run", config, "--out", out, "--set", "model.activation=tanh"}, dir);
  EXPECT_EQ(refused.exit_code, 2) << refused.log;
  for (const char* choice : {"--resume", "--overwrite", "--out", "name"})
    EXPECT_TRUE(contains(refused.log, choice)) << choice << " not named: " << refused.log;
  EXPECT_EQ(read_file(out / "summary.json"), summary);  // nothing replaced
  EXPECT_EQ(read_file(out / "metrics.jsonl"), metrics);

  const Outcome both =
      test::run({"run", config, "--out", out, "--resume", "--overwrite"}, dir, "both");
  EXPECT_EQ(both.exit_code, 2) << both.log;
  EXPECT_EQ(read_file(out / "summary.json"), summary);

  const Outcome replaced = test::run(
      {"run", config, "--out", out, "--set", "model.activation=tanh", "--overwrite"}, dir);
  ASSERT_EQ(replaced.exit_code, 0) << replaced.log;
  EXPECT_TRUE(contains(read_file(out / "config.yaml"), "tanh"));
  EXPECT_NE(read_file(out / "metrics.jsonl"), metrics);
}

TEST(RunSafety, AnInterruptedRunsHintRepeatsItsWholeCommandLine) {
  const fs::path dir = scratch("run hint");  // a space: the hint must quote it
  const fs::path config = write_config(dir);
  const fs::path out = dir / "my out";
  const std::vector<std::string> args = {"run",   config,
                                         "--out", out,
                                         "--set", "train.epochs=100000",
                                         "--set", "optimizer.learning_rate=0.04"};
  const test::Process run = test::start(args, dir);
  wait_for_file(out, "metrics.jsonl");
  ::kill(run.pid, SIGINT);
  const Outcome interrupted = run.wait();
  ASSERT_EQ(interrupted.exit_code, 130) << interrupted.log;
  EXPECT_EQ(continue_hint(interrupted.log), resume_of(args)) << interrupted.log;
  EXPECT_TRUE(contains(continue_hint(interrupted.log), "'" + out.string() + "'"));
}

TEST(RunSafety, AnInterruptedStudysHintRepeatsItsOverrides) {
  const fs::path dir = scratch("study_hint");
  // As the issue ran it: no --out, so the study's folder comes from its (overridden) name.
  const fs::path study =
      write_config(dir, "output: {dir: " + dir.string() + "}\nsweep:\n  seed: [1, 2]\n");
  const std::vector<std::string> args = {
      "run", study, "--set", "name=resumetest", "--set", "train.epochs=100000", "--jobs", "1"};
  const test::Process runner = test::start(args, dir);
  wait_for_file(dir, "metrics.jsonl");
  ::kill(runner.pid, SIGINT);
  const Outcome interrupted = runner.wait();
  ASSERT_EQ(interrupted.exit_code, 130) << interrupted.log;
  EXPECT_EQ(continue_hint(interrupted.log), resume_of(args)) << interrupted.log;
}

// SIGINT (Ctrl-C) and SIGTERM (kill, Slurm) alike: the run stops at the end of its current step,
// before its epoch ends, is marked interrupted, and --resume ends it exactly as a run that was
// never interrupted (timing fields aside).
class RunStopSignal : public ::testing::TestWithParam<int> {};

TEST_P(RunStopSignal, StopsAtAStepMarksTheRunInterruptedAndResumesBitIdentical) {
  const int signal = GetParam();
  const fs::path dir = scratch(std::string("stop_") + sigabbrev_np(signal));
  const fs::path config = write_config(dir);
  const std::vector<std::string> args = {"run", config, "--set", "train.epochs=40"};
  const fs::path fresh = dir / "fresh", out = dir / "out";
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> words = args;
    words.insert(words.end(), more.begin(), more.end());
    return words;
  };
  const Outcome whole = test::run(with({"--out", fresh}), dir, "fresh");
  ASSERT_EQ(whole.exit_code, 0) << whole.log;
  const auto complete = nlohmann::json::parse(read_file(fresh / "summary.json"));
  const std::size_t steps_per_epoch = complete["steps"].get<std::size_t>() / 40;

  const test::Process run = test::start(with({"--out", out}), dir, "stopped");
  wait_for_file(out, "metrics.jsonl");
  ::kill(run.pid, signal);
  const Outcome stopped = run.wait();
  ASSERT_EQ(stopped.exit_code, 130) << stopped.log;
  EXPECT_TRUE(contains(continue_hint(stopped.log), "--resume")) << stopped.log;
  const auto summary = nlohmann::json::parse(read_file(out / "summary.json"));
  EXPECT_EQ(summary["status"], "interrupted");
  // At a step boundary: no epoch is recorded half done, and the steps taken do not reach the end
  // of the epoch that was interrupted.
  const std::size_t epochs = summary["epochs_completed"].get<std::size_t>();
  const std::size_t steps = summary["steps"].get<std::size_t>();
  EXPECT_GE(epochs, 1u);
  EXPECT_LT(epochs, 40u) << "the run ended before the signal";
  EXPECT_EQ(test::metrics_without_timing(out / "metrics.jsonl").size(), epochs);
  EXPECT_GE(steps, epochs * steps_per_epoch);
  EXPECT_LT(steps, (epochs + 1) * steps_per_epoch);

  const Outcome resumed = test::run(with({"--out", out, "--resume"}), dir, "resumed");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.log;
  EXPECT_EQ(test::metrics_without_timing(out / "metrics.jsonl"),
            test::metrics_without_timing(fresh / "metrics.jsonl"));
  EXPECT_EQ(read_file(out / "probes.csv"), read_file(fresh / "probes.csv"));
  EXPECT_EQ(nlohmann::json::parse(read_file(out / "summary.json"))["status"], "completed");
}

INSTANTIATE_TEST_SUITE_P(SigintAndSigterm, RunStopSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& param_info) {
                           return std::string(sigabbrev_np(param_info.param));
                         });

// A stop delivered twice at once is one stop: Slurm signals every process of a job, a study's cells
// too, and the study's runner passes its own signal on to them. Where the cell ran between the two,
// the second one killed it (slurm.study failed so under load). A second signal a second later
// still terminates at once.
TEST(StopSignal, TheSameStopDeliveredTwiceIsOneStopAndALaterOneTerminates) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const std::atomic<bool>& stop = cli::install_stop_signal_handlers();
        std::raise(SIGTERM);
        std::raise(SIGTERM);
        std::exit(stop.load() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        cli::install_stop_signal_handlers();
        std::raise(SIGINT);
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));
        std::raise(SIGINT);
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

TEST(RunSafety, ResumingAFinishedRunWithAnotherConfigurationIsRefused) {
  const fs::path dir = scratch("resume_changed");
  const fs::path config = write_config(dir);
  const fs::path out = dir / "r1";
  ASSERT_EQ(test::run({"run", config, "--out", out}, dir).exit_code, 0);
  const std::string summary = read_file(out / "summary.json");

  const Outcome same = test::run({"run", config, "--out", out, "--resume"}, dir);
  EXPECT_EQ(same.exit_code, 0) << same.log;
  EXPECT_TRUE(contains(same.log, "nothing to resume")) << same.log;

  const Outcome changed =
      test::run({"run", config, "--out", out, "--resume", "--set", "train.epochs=4"}, dir);
  EXPECT_EQ(changed.exit_code, 2) << changed.log;
  EXPECT_TRUE(contains(changed.log, "train.epochs is 2 before, 4 now")) << changed.log;
  EXPECT_EQ(read_file(out / "summary.json"), summary);
}

TEST(RunSafety, OneRuleForSeedsEverywhere) {
  EXPECT_NO_THROW(cli::check_seed_range(cli::kLargestSeed, 1, "s"));
  EXPECT_NO_THROW(cli::check_seed_range(cli::kLargestSeed - 4, 5, "s"));
  EXPECT_THROW(cli::check_seed_range(cli::kLargestSeed - 3, 5, "s"), ConfigError);
  EXPECT_THROW(cli::check_seed_range(cli::kLargestSeed + 1, 1, "s"), ConfigError);
  EXPECT_THROW(cli::check_seed_range(18446744073709551614ULL, 5, "s"), ConfigError);

  const fs::path dir = scratch("seeds");
  const fs::path config = write_config(dir);
  const Outcome wrapped = test::run({"probe-init", config, "--out", dir / "p", "--first-seed",
                                     "18446744073709551614", "--seeds", "5"},
                                    dir);
  EXPECT_EQ(wrapped.exit_code, 2) << wrapped.log;
  EXPECT_TRUE(contains(wrapped.log, "2^63 - 1")) << wrapped.log;
  const Outcome past = test::run({"probe-init", config, "--out", dir / "p", "--first-seed",
                                  "9223372036854775806", "--seeds", "3"},
                                 dir);
  EXPECT_EQ(past.exit_code, 2) << past.log;
  // The largest seed is accepted by probe-init and by run alike.
  const Outcome last = test::run({"probe-init", config, "--out", dir / "p", "--first-seed",
                                  "9223372036854775806", "--seeds", "2"},
                                 dir);
  EXPECT_EQ(last.exit_code, 0) << last.log;
  const Outcome run = test::run({"run", config, "--out", dir / "r", "--set",
                                 "seed=9223372036854775807", "--set", "train.epochs=1"},
                                dir);
  EXPECT_EQ(run.exit_code, 0) << run.log;
}

TEST(RunSafety, ThreadsAboveTheCoresWarnAndAnAbsurdCountIsRefused) {
  EXPECT_EQ(cli::check_thread_count(2, 2, "--threads"), std::nullopt);
  EXPECT_NE(cli::check_thread_count(3, 2, "--threads"), std::nullopt);
  EXPECT_NE(cli::check_thread_count(8, 2, "--threads"), std::nullopt);
  EXPECT_THROW(cli::check_thread_count(9, 2, "--threads"), ConfigError);

  const int cores = available_cores();
  if (cli::kThreadsPerCoreLimit * cores + 1 > 1024) GTEST_SKIP() << "--threads stops at 1024";
  const fs::path dir = scratch("threads");
  const fs::path config = write_config(dir);
  const std::string absurd = std::to_string(cli::kThreadsPerCoreLimit * cores + 1);
  for (const char* command : {"run", "probe-init"}) {
    const Outcome refused =
        test::run({command, config, "--out", dir / "absurd", "--threads", absurd}, dir);
    EXPECT_EQ(refused.exit_code, 2) << command << ": " << refused.log;
    EXPECT_TRUE(contains(refused.log, "far more threads than cores")) << refused.log;
    EXPECT_FALSE(fs::exists(dir / "absurd")) << command;
  }
  const Outcome warned = test::run({"run", config, "--out", dir / "warned", "--threads",
                                    std::to_string(cores + 1), "--set", "train.epochs=1"},
                                   dir);
  EXPECT_EQ(warned.exit_code, 0) << warned.log;
  EXPECT_TRUE(contains(warned.log, "more threads than cores")) << warned.log;
}

TEST(RunSafety, MistakesOnTheCommandLineAreNamed) {
  const fs::path dir = scratch("messages");
  const fs::path config = write_config(dir);

  const Outcome unknown = test::run({"frobnicate"}, dir);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.log, "'frobnicate' is not a subcommand")) << unknown.log;
  EXPECT_TRUE(contains(unknown.log, "run, summary, merge")) << unknown.log;

  const Outcome empty_out = test::run({"run", config, "--out", ""}, dir);
  EXPECT_EQ(empty_out.exit_code, 2) << empty_out.log;
  EXPECT_TRUE(contains(empty_out.log, "--out: the folder name is empty")) << empty_out.log;

  const Outcome nan = test::run({"summary", dir, "--target-accuracy", "nan"}, dir);
  EXPECT_EQ(nan.exit_code, 2) << nan.log;
  EXPECT_TRUE(contains(nan.log, "must be between 0 and 1, got nan")) << nan.log;
  const Outcome abc = test::run({"summary", dir, "--target-accuracy", "abc"}, dir);
  EXPECT_EQ(abc.exit_code, 2) << abc.log;
  EXPECT_TRUE(contains(abc.log, "expected a number between 0 and 1, got 'abc'")) << abc.log;

  const fs::path study = write_config(dir, "sweep:\n  seed: [1, 2]\n");
  const Outcome cell_and_shard =
      test::run({"run", study, "--cell", "seed=1", "--shard", "2/2", "--out", dir / "cs"}, dir);
  EXPECT_EQ(cell_and_shard.exit_code, 2) << cell_and_shard.log;
  EXPECT_TRUE(contains(cell_and_shard.log, "leave out --shard")) << cell_and_shard.log;
  EXPECT_FALSE(fs::exists(dir / "cs"));
}

TEST(RunSafety, OneThreadIsSingular) {
  const fs::path dir = scratch("one_thread");
  const Outcome outcome = test::run(
      {"run", write_config(dir), "--out", dir / "out", "--threads", "1", "--set", "train.epochs=1"},
      dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  EXPECT_TRUE(contains(outcome.log, "; 1 thread;")) << outcome.log;
}

TEST(RunSafety, AFailedCellsMessageHasOneLogPrefix) {
  const fs::path dir = scratch("failed_cell");
  const fs::path study = write_config(dir, "sweep:\n  seed: [1, 2]\n");
  const Outcome outcome = test::run(
      {"run", study, "--out", dir / "out", "--set", "data.path=/nonexistent/actlab"}, dir);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_TRUE(contains(outcome.log, "failed: ")) << outcome.log;
  // "cell seed=1 failed: /nonexistent/...", not "cell seed=1 failed: [12:00:00 error] ...".
  EXPECT_FALSE(std::regex_search(outcome.log, std::regex(R"(failed: +\[\d\d:\d\d:\d\d)")))
      << outcome.log;
}

// A byte that is not UTF-8 in what a run records (here the config file's Latin-1 folder name)
// is written to run.json and study.json as U+FFFD: the record once threw and aborted the run.
TEST(RunSafety, APathThatIsNotUtf8IsRecordedNotACrash) {
  const fs::path dir = scratch("r\xe9sultats");
  const Outcome outcome =
      test::run({"run", write_config(dir), "--out", dir / "run", "--set", "train.epochs=1"}, dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  const nlohmann::json run = nlohmann::json::parse(read_file(dir / "run" / "run.json"));
  EXPECT_TRUE(contains(run.at("config_file").get<std::string>(), "r\xef\xbf\xbdsultats"))
      << run.dump(2);

  const Outcome study = test::run({"run", write_config(dir, "sweep:\n  seed: [1]\n"), "--out",
                                   dir / "study", "--set", "train.epochs=1"},
                                  dir);
  ASSERT_EQ(study.exit_code, 0) << study.log;
  EXPECT_TRUE(nlohmann::json::accept(read_file(dir / "study" / "study.json")));
}

TEST(RunSafety, AHugeLossKeepsTheTableReadable) {
  const fs::path dir = scratch("huge_loss");
  const fs::path study = write_config(dir, "sweep:\n  seed: [1]\n");
  const fs::path out = dir / "out";
  ASSERT_EQ(test::run({"run", study, "--out", out, "--set", "train.epochs=1"}, dir).exit_code, 0);
  // A loss that grew huge without overflowing: its run completed, so it is in the table.
  const fs::path metrics = out / "seed=1" / "metrics.jsonl";
  nlohmann::json epoch = nlohmann::json::parse(read_file(metrics));
  epoch["train_loss"] = 3848978083585341342280979578880.0;
  std::ofstream(metrics) << epoch.dump() << "\n";
  const Outcome summary = test::run({"summary", out}, dir);
  ASSERT_EQ(summary.exit_code, 0) << summary.log;
  EXPECT_TRUE(contains(summary.output, "3.849e+30")) << summary.output;
  EXPECT_FALSE(contains(summary.output, "3848978083585341342280979578880")) << summary.output;
}

}  // namespace
}  // namespace actlab
