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
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "actlab/core/blas_kernels.hpp"
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

// Starts actlab with `args`, stderr to a file (and stdout to `out`); returns its pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log,
            const fs::path& out = "/dev/null", char* const* env = environ) {
  std::vector<std::string> argv_storage = {ACTLAB_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, ACTLAB_BINARY, &actions, nullptr, argv.data(), env), 0);
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

// Without a validation set the log lines say so, instead of a NaN loss and accuracy.
TEST(Cli, RunWithoutValidationSetSaysSo) {
  const fs::path dir = scratch("no_validation");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  const Outcome outcome = run({"run", config, "--set", "data.validation_size=0", "--set",
                               "train.epochs=1", "--out", (dir / "out").string()},
                              "no_validation");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  EXPECT_NE(outcome.log.find("epoch 1/1 · train loss"), std::string::npos) << outcome.log;
  EXPECT_NE(outcome.log.find("no validation set"), std::string::npos) << outcome.log;
  EXPECT_EQ(outcome.log.find("val loss nan"), std::string::npos) << outcome.log;
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

// "run,<seed>,step,..." rows of a probes table keyed by everything but run and seed.
std::map<std::string, std::string> rows_by_key(const std::string& csv, bool has_seed,
                                               const std::string& seed = "") {
  std::map<std::string, std::string> rows;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::string rest = line.substr(line.find(',') + 1);  // without the run
    if (has_seed) {
      if (rest.substr(0, rest.find(',')) != seed) continue;
      rest = rest.substr(rest.find(',') + 1);
    }
    // step,epoch,layer,metric,value -> key "step,layer,metric" (the epoch is 0 or 1 at step 0)
    std::vector<std::string> f;
    std::stringstream ss(rest);
    std::string field;
    while (std::getline(ss, field, ','))
      f.push_back(field);
    rows[f[0] + "," + f[2] + "," + f[3]] = f[4];
  }
  return rows;
}

TEST(Cli, EpochsZeroMeasuresOnlyTheInitialNetwork) {
  const fs::path dir = scratch("init_only");
  const auto config = write(dir, "c.yaml", tiny_yaml());
  const Outcome outcome =
      run({"run", config, "--out", (dir / "out").string(), "--set", "train.epochs=0"}, "init_only");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  const auto summary = nlohmann::json::parse(read_file(dir / "out" / "summary.json"));
  EXPECT_EQ(summary["status"], "completed");
  EXPECT_EQ(summary["epochs_completed"], 0);
  EXPECT_TRUE(summary["initial"]["test_loss"].is_number());
  const std::string probes = read_file(dir / "out" / "probes.csv");
  EXPECT_NE(probes.find("tiny,0,0,1,grad_norm_weight,"), std::string::npos) << probes;
  EXPECT_NE(outcome.log.find("the initial network only"), std::string::npos) << outcome.log;
}

// probe-init: one probe table for N seeds; the first seed's rows are those of an init-only run
// with the same configuration, and every seed has the same rows.
TEST(Cli, ProbeInitTabulatesEverySeed) {
  const fs::path dir = scratch("probe_init");
  std::string text = tiny_yaml();
  const std::string hidden = "model: {hidden: [16]}";
  text.replace(text.find(hidden), hidden.size(),
               "model: {layers: [{linear: 16}, batchnorm, relu, {residual: {activation: tanh}}]}");
  const auto config = write(dir, "c.yaml", text);
  const fs::path table = dir / "table.txt";
  const pid_t pid =
      spawn({"probe-init", config.string(), "--seeds", "3", "--out", (dir / "out").string()},
            dir / "stderr.txt", table);
  const Outcome outcome = wait_for(pid, dir / "stderr.txt");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  const std::string csv = read_file(dir / "out" / "probe_init.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "run,seed,step,epoch,layer,metric,value");
  const auto seed1 = rows_by_key(csv, true, "1"), seed2 = rows_by_key(csv, true, "2"),
             seed3 = rows_by_key(csv, true, "3");
  ASSERT_FALSE(seed1.empty());
  auto keys = [](const std::map<std::string, std::string>& m) {
    std::vector<std::string> k;
    for (const auto& [key, value] : m)
      k.push_back(key);
    return k;
  };
  EXPECT_EQ(keys(seed1), keys(seed2));
  EXPECT_EQ(keys(seed1), keys(seed3));
  EXPECT_NE(seed1.at("0,1,weight_norm"), seed2.at("0,1,weight_norm"));  // different networks
  EXPECT_TRUE(seed1.count("0,4,saturated_fraction"));  // the residual block's tanh (depth 4)
  EXPECT_TRUE(seed1.count("0,4,grad_norm_weight"));    // and its Linear
  const auto summary = nlohmann::json::parse(read_file(dir / "out" / "summary.json"));
  EXPECT_EQ(summary["networks"].size(), 3u);
  EXPECT_EQ(summary["networks"][2]["seed"], 3);

  const Outcome single = run({"run", config, "--out", (dir / "single").string(), "--set",
                              "train.epochs=0", "--set", "probes.warnings=false"},
                             "probe_init_single");
  ASSERT_EQ(single.exit_code, 0) << single.log;
  EXPECT_EQ(rows_by_key(read_file(dir / "single" / "probes.csv"), false), seed1);

  const std::string printed = read_file(table);
  for (const char* part :
       {"3 networks (seeds 1..3)", "grad_norm_weight", "dead_fraction", "initial test loss"})
    EXPECT_NE(printed.find(part), std::string::npos) << part << " not in:\n" << printed;
}

struct Printed {
  Outcome outcome;
  std::string out;  // stdout
};

// `actlab --version` with this test's environment, OPENBLAS_CORETYPE removed from it or, if
// `coretype` is not empty, set to `coretype`.
Printed version_with_coretype(const std::string& coretype) {
  std::vector<std::string> storage;
  for (char** variable = environ; *variable != nullptr; ++variable)
    if (std::string_view(*variable).rfind("OPENBLAS_CORETYPE=", 0) != 0)
      storage.emplace_back(*variable);
  if (!coretype.empty()) storage.push_back("OPENBLAS_CORETYPE=" + coretype);
  std::vector<char*> env;
  for (std::string& variable : storage)
    env.push_back(variable.data());
  env.push_back(nullptr);
  const fs::path dir = scratch("version_" + coretype);
  Printed printed;
  printed.outcome = wait_for(
      spawn({"--version"}, dir / "stderr.txt", dir / "stdout.txt", env.data()), dir / "stderr.txt");
  printed.out = read_file(dir / "stdout.txt");
  return printed;
}

// Where OpenBLAS falls back to kernels older than the CPU (Debian's 0.3.21 on CPUs newer than it),
// actlab starts again with the better ones; a kernel set the user chose stays.
TEST(Cli, RunsOpenBlasKernelsThatUseTheCpusVectors) {
  const Printed automatic = version_with_coretype("");
  ASSERT_EQ(automatic.outcome.exit_code, 0) << automatic.outcome.log;
  const std::string label = "OpenBLAS kernels: ";
  const std::size_t at = automatic.out.find(label);
  ASSERT_NE(at, std::string::npos) << automatic.out;
  const std::size_t begin = at + label.size();
  const std::string kernels = automatic.out.substr(begin, automatic.out.find('\n', at) - begin);
  EXPECT_EQ(better_openblas_coretype(kernels, this_cpu_vector_support()), std::nullopt)
      << kernels << "; stderr: " << automatic.outcome.log;

  const Printed chosen = version_with_coretype("Prescott");
  ASSERT_EQ(chosen.outcome.exit_code, 0) << chosen.outcome.log;
  EXPECT_EQ(chosen.outcome.log.find("starting again"), std::string::npos) << chosen.outcome.log;
}

// actlab bench on Debian's Fashion-MNIST (which CI installs), a few steps an epoch: one JSON line
// per measured round, whose GEMM-only limit is the mean of the measurements before and after the
// training runs, and which is steady when those two agree within 15 %.
TEST(Cli, BenchBracketsEachRoundWithTwoGemmOnlyMeasurements) {
  const fs::path dir = scratch("bench");
  const fs::path out = dir / "bench.jsonl";
  const pid_t pid = spawn(
      {"bench", "--workloads", "W3", "--steps", "3", "--repeats", "2", "--threads", "1", "--json"},
      dir / "stderr.txt", out);
  const Outcome outcome = wait_for(pid, dir / "stderr.txt");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  std::istringstream lines(read_file(out));
  std::string line;
  std::size_t rounds = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    ++rounds;
    EXPECT_EQ(j["workload"], "W3");
    EXPECT_EQ(j["round"], rounds);
    EXPECT_EQ(j["steps"], 3);
    const double before = j["gemm_only_before"], after = j["gemm_only_after"];
    EXPECT_GT(before, 0);
    EXPECT_GT(after, 0);
    EXPECT_DOUBLE_EQ(j["gemm_only_samples_per_second"].get<double>(), 0.5 * (before + after));
    EXPECT_EQ(j["steady"].get<bool>(), std::max(before, after) <= 1.15 * std::min(before, after));
    EXPECT_GT(j["samples_per_second"].get<double>(), 0);
    EXPECT_GT(j["samples_per_second_no_probes"].get<double>(), 0);
    // Each run trains two epochs and is timed on the second; the first is reported beside it.
    EXPECT_GT(j["first_epoch_samples_per_second"].get<double>(), 0);
    EXPECT_GT(j["first_epoch_samples_per_second_no_probes"].get<double>(), 0);
    // Each core's single-threaded SGEMM rate, measured once before the rounds.
    ASSERT_TRUE(j["core_sgemm_gflops"].is_array());
    ASSERT_FALSE(j["core_sgemm_gflops"].empty());
    for (const auto& gflops : j["core_sgemm_gflops"])
      EXPECT_GT(gflops.get<double>(), 0);
  }
  EXPECT_EQ(rounds, 2u);

  // The table: per workload, the median ratio over steady rounds and the best-of-rounds ratio.
  const fs::path table = dir / "table.txt";
  const pid_t table_pid =
      spawn({"bench", "--workloads", "W3", "--steps", "3", "--repeats", "2", "--threads", "1"},
            dir / "table_stderr.txt", table);
  const Outcome table_outcome = wait_for(table_pid, dir / "table_stderr.txt");
  ASSERT_EQ(table_outcome.exit_code, 0) << table_outcome.log;
  const std::string printed = read_file(table);
  for (const char* part : {"ratio", "best", "W3   784-(128x10)-10 tanh", "the fastest training run",
                           "cores: single-threaded SGEMM"})
    EXPECT_NE(printed.find(part), std::string::npos) << part << " not in:\n" << printed;

  // On two threads each limit is the fastest of the three ways to run the GEMMs.
  const fs::path two = dir / "two_threads.jsonl";
  const pid_t two_pid = spawn(
      {"bench", "--workloads", "W3", "--steps", "3", "--repeats", "1", "--threads", "2", "--json"},
      dir / "two_stderr.txt", two);
  const Outcome two_outcome = wait_for(two_pid, dir / "two_stderr.txt");
  ASSERT_EQ(two_outcome.exit_code, 0) << two_outcome.log;
  const auto j = nlohmann::json::parse(read_file(two));
  for (std::size_t when : {0, 1}) {
    const double fastest = std::max({j["gemm_only_openblas_threads"][when].get<double>(),
                                     j["gemm_only_team_split"][when].get<double>(),
                                     j["gemm_only_team_by_rows"][when].get<double>()});
    EXPECT_DOUBLE_EQ(j[when == 0 ? "gemm_only_before" : "gemm_only_after"].get<double>(), fastest);
  }
}

// `actlab bench ARGS` is the program actlab-bench, run from actlab's folder with ARGS: its options
// and help are actlab-bench's, and without it there is one error line naming it, exit code 127.
TEST(Cli, BenchRunsActlabBenchFromActlabsFolder) {
  const fs::path dir = scratch("bench_program");
  const pid_t help_pid = spawn({"bench", "--help"}, dir / "help_stderr.txt", dir / "help.txt");
  const Outcome help = wait_for(help_pid, dir / "help_stderr.txt");
  EXPECT_EQ(help.exit_code, 0) << help.log;
  EXPECT_NE(read_file(dir / "help.txt").find("--workloads"), std::string::npos);

  const fs::path alone = dir / "alone" / "actlab";
  fs::create_directories(alone.parent_path());
  fs::copy_file(ACTLAB_BINARY, alone);
  std::vector<std::string> storage = {alone.string(), "bench", "--workloads", "W3"};
  std::vector<char*> argv;
  for (auto& a : storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const fs::path log = dir / "alone_stderr.txt";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, alone.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  const Outcome missing = wait_for(pid, log);
  EXPECT_EQ(missing.exit_code, 127) << missing.log;
  EXPECT_NE(missing.log.find((dir / "alone" / "actlab-bench").string() + ": cannot run"),
            std::string::npos)
      << missing.log;
}

}  // namespace
}  // namespace actlab
