// End-to-end tests of the `actlab` program: bad input gives one clear line and a documented
// non-zero exit code, never a crash; a good run leaves every output file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/golden.hpp"

extern char** environ;

namespace actlab {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;  // -1 if it died from a signal
  int signal = 0;
  std::string log;  // stderr
};

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "actlab_cli_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts actlab with `args`, stderr to a file; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv_storage = {ACTLAB_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, ACTLAB_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

Outcome wait_for(pid_t pid, const fs::path& log) {
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome outcome;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  outcome.log = read_file(log);
  return outcome;
}

Outcome run(const std::vector<std::string>& args, const std::string& name) {
  const fs::path log = scratch(name + "_log") / "stderr.txt";
  return wait_for(spawn(args, log), log);
}

fs::path write(const fs::path& dir, const std::string& file, const std::string& text) {
  std::ofstream(dir / file) << text;
  return dir / file;
}

std::string tiny_yaml(const std::string& extra = "") {
  return "name: tiny\nseed: 1\nthreads: 1\ndata: {dataset: idx, path: " +
         test::test_path("../data/fixtures/tiny") +
         ", validation_size: 100}\nmodel: {hidden: [16]}\noptimizer: {learning_rate: 0.05, "
         "momentum: 0.9}\ntrain: {epochs: 2, batch_size: 32}\nprobes: {every_steps: 5}\n" +
         extra;
}

// Bad input: exactly one error line that contains `expected`, and exit code `code`.
void expect_one_error_line(const Outcome& outcome, int code, const std::string& expected) {
  EXPECT_EQ(outcome.signal, 0) << "crashed: " << outcome.log;
  EXPECT_EQ(outcome.exit_code, code) << outcome.log;
  std::istringstream lines(outcome.log);
  std::string line;
  int errors = 0;
  while (std::getline(lines, line))
    if (line.find("error") != std::string::npos) {
      ++errors;
      EXPECT_NE(line.find(expected), std::string::npos) << line;
    }
  EXPECT_EQ(errors, 1) << outcome.log;
}

TEST(Cli, YamlSyntaxError) {
  const fs::path dir = scratch("syntax");
  const auto config = write(dir, "bad.yaml", "name: x\nmodel: {hidden: [1, 2}\n");
  expect_one_error_line(run({"run", config}, "syntax"), 2, "bad.yaml:2:");
}

TEST(Cli, UnknownKeyWithSuggestion) {
  const fs::path dir = scratch("unknown_key");
  const auto config = write(dir, "c.yaml", tiny_yaml("train2: {}\n"));
  expect_one_error_line(run({"run", config}, "unknown_key"), 2, "did you mean 'train'?");
}

TEST(Cli, WrongTypeAndOutOfRangeOverride) {
  const fs::path dir = scratch("wrong_type");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  expect_one_error_line(run({"run", config, "--set", "train.batch_size=many"}, "wrong_type"), 2,
                        "train.batch_size: expected an integer");
  expect_one_error_line(run({"run", config, "--set", "optimizer.learning_rate=0"}, "range"), 2,
                        "optimizer.learning_rate: must be positive");
}

TEST(Cli, UnknownActivationListsValidOnes) {
  const fs::path dir = scratch("activation");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  expect_one_error_line(run({"run", config, "--set", "model.activation=rleu"}, "activation"), 2,
                        "did you mean 'relu'?");
}

TEST(Cli, MissingDataFolder) {
  const fs::path dir = scratch("missing_data");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  expect_one_error_line(run({"run", config, "--set", "data.path=/nonexistent/actlab"}, "missing"),
                        2, "/nonexistent/actlab");
}

TEST(Cli, CorruptDataNamesTheFile) {
  const fs::path dir = scratch("corrupt_data");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  const std::string corrupt = test::test_path("../data/fixtures/corrupt/count-mismatch");
  expect_one_error_line(run({"run", config, "--set", "data.path=" + corrupt}, "corrupt"), 2,
                        "count-mismatch");
}

TEST(Cli, UnwritableOutputFolder) {
  const fs::path dir = scratch("unwritable");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  const auto blocker = write(dir, "a_file", "not a folder");
  expect_one_error_line(run({"run", config, "--out", (blocker / "run").string()}, "unwritable"), 3,
                        "cannot create the output folder");
}

TEST(Cli, GoodRunLeavesEveryOutputFile) {
  const fs::path dir = scratch("good");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  const Outcome outcome = run({"run", config, "--out", (dir / "out").string()}, "good");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  for (const char* file :
       {"config.yaml", "run.json", "metrics.jsonl", "probes.csv", "summary.json", "log.txt"})
    EXPECT_TRUE(fs::exists(dir / "out" / file)) << file;
  const auto summary = nlohmann::json::parse(read_file(dir / "out" / "summary.json"));
  EXPECT_EQ(summary["status"], "completed");
  EXPECT_EQ(summary["epochs_completed"], 2);
  const auto meta = nlohmann::json::parse(read_file(dir / "out" / "run.json"));
  for (const char* key : {"git_commit", "libraries", "seed", "threads", "actlab_version"})
    EXPECT_TRUE(meta.contains(key)) << key;
  EXPECT_NE(read_file(dir / "out" / "log.txt").find("epoch 2/2"), std::string::npos);
}

TEST(Cli, DivergedRunExitsWithOneAndRecordsTheStep) {
  const fs::path dir = scratch("diverged");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  const Outcome outcome =
      run({"run", config, "--out", (dir / "out").string(), "--set", "optimizer.learning_rate=1e30"},
          "diverged");
  EXPECT_EQ(outcome.exit_code, 1) << outcome.log;
  const auto summary = nlohmann::json::parse(read_file(dir / "out" / "summary.json"));
  EXPECT_EQ(summary["status"], "diverged");
  EXPECT_NE(summary["message"].get<std::string>().find("diverged at step"), std::string::npos);
}

TEST(Cli, SigtermMarksTheRunInterrupted) {
  const fs::path dir = scratch("sigterm");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  const fs::path log = dir / "stderr.txt";
  const pid_t pid =
      spawn({"run", config, "--out", (dir / "out").string(), "--set", "train.epochs=100000"}, log);
  // Wait until the first epoch is on disk, then ask it to stop.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(dir / "out" / "metrics.jsonl") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGTERM);
  const Outcome outcome = wait_for(pid, log);
  EXPECT_EQ(outcome.exit_code, 130) << outcome.log;
  const auto summary = nlohmann::json::parse(read_file(dir / "out" / "summary.json"));
  EXPECT_EQ(summary["status"], "interrupted");
  EXPECT_GE(summary["epochs_completed"].get<int>(), 1);
}

}  // namespace
}  // namespace actlab
