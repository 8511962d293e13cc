// A run within the machine's limits: a run or study that cannot fit in memory is refused before it
// allocates, with its estimate, the memory available and the keys that drive it (exit 2), and
// --dry-run shows that estimate; the estimate follows the memory a real run holds; and a disk that
// fills up part-way stops the run with the file named (exit 3), leaves every earlier file whole,
// and the run resumes to the result of an uninterrupted one.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/config/experiment_config.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/train/checkpoint.hpp"
#include "actlab/train/memory_estimate.hpp"
#include "available_memory.hpp"
#include "process.hpp"
#include "support/golden.hpp"
#include "support/sanitizers.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;
using test::Outcome;
using test::read_file;

// A sanitized actlab cannot start under an address-space limit, and its resident memory is not
// the run's.
constexpr bool kSanitized = test::kAddressSanitizer;

constexpr int kExitBadInput = 2;
constexpr int kExitOutputError = 3;

fs::path scratch(const std::string& name) {
  return test::scratch_folder("actlab_run_limits_test", name);
}

// A run on the tiny fixture (500 training examples), one thread.
fs::path write_config(const fs::path& dir, const std::string& model = "model: {hidden: [16]}\n",
                      const std::string& extra = "") {
  const fs::path file = dir / "c.yaml";
  std::ofstream(file) << "name: tiny\nseed: 1\nthreads: 1\ndata: {dataset: idx, path: "
                      << test::test_path("../data/fixtures/tiny") << ", validation_size: 100}\n"
                      << model
                      << "optimizer: {learning_rate: 0.05, momentum: 0.9}\n"
                         "train: {epochs: 1, batch_size: 32}\nprobes: {every_steps: 5}\n"
                      << extra;
  return file;
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

// The estimate actlab makes for `config` with `overrides`, on one thread.
std::size_t estimate_of(const fs::path& config, const std::vector<std::string>& overrides = {}) {
  const ExperimentConfig c = load_config(config, overrides);
  return estimate_run_memory(c, data_shape(load_data(c.data, c.seed)), 1).total();
}

TEST(MemoryLimits, ARunThatCannotFitIsRefusedWithItsEstimateTheMemoryAndTheKeys) {
  const fs::path dir = scratch("too_wide");
  const fs::path config = write_config(dir);
  const fs::path out = dir / "out";
  // 10^12 weights, 4 TB each copy: more than any machine this runs on.
  const Outcome o =
      test::run({"run", config, "--out", out, "--set", "model.hidden=[1000000, 1000000]"}, dir);
  EXPECT_EQ(o.exit_code, kExitBadInput) << o.log;
  EXPECT_EQ(o.signal, 0) << o.log;
  expect_contains(o.log, "the run needs about ");
  expect_contains(o.log, " TiB of memory");
  expect_contains(o.log, " is available");
  expect_contains(o.log, "model.hidden [1000000, 1000000]");
  expect_contains(o.log, "train.batch_size 32");
  expect_contains(o.log, "train.eval_batch_size 2048");
  EXPECT_FALSE(fs::exists(out / "config.yaml")) << "refused before the run began";
}

TEST(MemoryLimits, ARunOverItsAddressSpaceLimitIsRefusedBeforeItAllocates) {
  if (kSanitized) GTEST_SKIP() << "a sanitized actlab cannot start under ulimit -v";
  const fs::path dir = scratch("ulimit");
  const fs::path config = write_config(dir);
  const std::vector<std::string> wide = {"model.hidden=[16000, 16000]"};  // about 10 GiB
  ASSERT_GT(estimate_of(config, wide), std::size_t{4} << 30);
  const Outcome o =
      test::start_limited({"run", config, "--out", dir / "out", "--set", wide.front()}, dir,
                          {.file_size_bytes = std::nullopt, .address_space_bytes = rlim_t{1} << 30})
          .wait();
  EXPECT_EQ(o.exit_code, kExitBadInput) << o.log;
  expect_contains(o.log, "the run needs about ");
  expect_contains(o.log, "(ulimit -v)");
  expect_contains(o.log, "model.hidden [16000, 16000]");
  EXPECT_FALSE(fs::exists(dir / "out" / "config.yaml"));

  // The same run with its default width trains under the same limit.
  const Outcome fits =
      test::start_limited({"run", config, "--out", dir / "fits"}, dir,
                          {.file_size_bytes = std::nullopt, .address_space_bytes = rlim_t{1} << 30},
                          "fits")
          .wait();
  EXPECT_EQ(fits.exit_code, 0) << fits.log;
}

TEST(MemoryLimits, DryRunPrintsTheResolvedConfigurationAndTheEstimateAndTrainsNothing) {
  const fs::path dir = scratch("dry_run");
  const fs::path config = write_config(dir);
  const fs::path out = dir / "out";
  const Outcome o = test::run({"run", config, "--out", out, "--dry-run"}, dir);
  ASSERT_EQ(o.exit_code, 0) << o.log;
  expect_contains(o.output, "# resolved configuration of ");
  expect_contains(o.output, "eval_batch_size: 2048");
  for (const char* part : {"parameters: ", "gradients: ", "optimizer state (sgd): ",
                           "layer outputs and their gradients (2048 rows): ", "data set: ",
                           "probes (", "checkpoint: ", "total: ", "available: "})
    expect_contains(o.output, part);
  EXPECT_FALSE(fs::exists(out)) << "a dry run writes nothing";

  // Too large: the estimate is printed, and the run is refused as it would be without --dry-run.
  const Outcome large = test::run(
      {"run", config, "--out", out, "--dry-run", "--set", "model.hidden=[1000000, 1000000]"}, dir,
      "large");
  EXPECT_EQ(large.exit_code, kExitBadInput) << large.log;
  expect_contains(large.output, "TiB");
  expect_contains(large.log, "model.hidden [1000000, 1000000]");
}

// Every shipped configuration and study can be sized: activations defined by formulas included,
// whose names only the file knows.
TEST(MemoryLimits, EveryShippedConfigurationDryRuns) {
  const fs::path dir = scratch("dry_run_shipped");
  for (const auto& entry : fs::directory_iterator(test::test_path("../configs"))) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string name = entry.path().stem().string();
    const Outcome o = test::run({"run", entry.path(), "--out", dir / name, "--dry-run"}, dir, name);
    EXPECT_EQ(o.exit_code, 0) << entry.path() << ": " << o.log;
    expect_contains(o.output, "total: ");
  }
}

// The estimate against the peak resident memory of real runs (getrusage). The program's own
// memory (code, libraries, OpenBLAS) is not in the estimate: the differences from a run of a tiny
// network are compared. Honest within a factor of 1.25 either way.
TEST(MemoryLimits, TheEstimateFollowsThePeakMemoryOfARealRun) {
  if (kSanitized) GTEST_SKIP() << "a sanitized actlab's resident memory is mostly the sanitizer's";
  const fs::path dir = scratch("honest");
  constexpr double kFactor = 1.25;
  const fs::path small = write_config(dir, "model: {hidden: [8]}\n");
  const Outcome baseline = test::run({"run", small, "--out", dir / "small"}, dir, "small");
  ASSERT_EQ(baseline.exit_code, 0) << baseline.log;
  const std::size_t small_estimate = estimate_of(small);

  const std::vector<std::pair<std::string, std::string>> networks = {
      {"wide_sgd", "model: {hidden: [2048, 2048]}\n"},
      {"layers_adam",
       "model: {layers: [{linear: 1536}, batchnorm, relu, {residual: {activation: tanh, norm: "
       "layernorm}}, {dropout: 0.2}, {linear: 1536}, swiglu]}\n"},
  };
  for (const auto& [name, model] : networks) {
    const fs::path network_dir = dir / name;
    fs::create_directories(network_dir);
    const fs::path config = write_config(network_dir, model);
    const std::vector<std::string> overrides = name == "layers_adam"
                                                   ? std::vector<std::string>{"optimizer.name=adam"}
                                                   : std::vector<std::string>{};
    std::vector<std::string> args = {"run", config, "--out", network_dir / "out"};
    for (const auto& o : overrides)
      args.insert(args.end(), {"--set", o});
    const Outcome run = test::run(args, network_dir);
    ASSERT_EQ(run.exit_code, 0) << run.log;
    const double measured = static_cast<double>(run.peak_rss_kib - baseline.peak_rss_kib) * 1024;
    const double estimated = static_cast<double>(estimate_of(config, overrides) - small_estimate);
    EXPECT_LT(measured, estimated * kFactor) << name << ": measured " << measured;
    EXPECT_GT(measured, estimated / kFactor) << name << ": measured " << measured;
  }
}

TEST(MemoryLimits, AStudyWhoseCellsDoNotFitJobsAtOnceIsRefusedNamingHowManyWould) {
  const fs::path dir = scratch("study_jobs");
  const std::size_t shared = cli::available_memory().shared.bytes;
  if (shared > (std::size_t{1} << 50)) GTEST_SKIP() << "no memory limit found to test against";
  // Cells of about 2/5 of the memory available: two fit at once, four do not. --dry-run, so that
  // nothing is trained whatever the check says.
  const fs::path study =
      write_config(dir, "model: {hidden: [16]}\n", "sweep:\n  seed: [1, 2, 3, 4]\n");
  fs::create_directories(dir / "cell");
  const fs::path cell = write_config(dir / "cell");  // a cell of the study, as a single run
  std::size_t width = 16;
  while (estimate_of(cell, {"model.hidden=[" + std::to_string(width * 2) + ", " +
                            std::to_string(width * 2) + "]"}) < shared * 2 / 5)
    width *= 2;
  std::size_t low = width, high = width * 2;
  while (high - low > 1) {
    const std::size_t mid = (low + high) / 2;
    const std::string hidden =
        "model.hidden=[" + std::to_string(mid) + ", " + std::to_string(mid) + "]";
    (estimate_of(cell, {hidden}) < shared * 2 / 5 ? low : high) = mid;
  }
  const std::string hidden =
      "model.hidden=[" + std::to_string(low) + ", " + std::to_string(low) + "]";
  const Outcome o = test::run(
      {"run", study, "--out", dir / "out", "--set", hidden, "--jobs", "4", "--dry-run"}, dir);
  EXPECT_EQ(o.exit_code, kExitBadInput) << o.log;
  expect_contains(o.log, "--jobs 4: 4 cells at once need about ");
  expect_contains(o.log, "2 job(s) would fit: run with --jobs 2");
  expect_contains(o.log, "model.hidden [" + std::to_string(low));
  expect_contains(o.output, "seed=4: ");
  EXPECT_FALSE(fs::exists(dir / "out" / "study.json"));

  const Outcome two =
      test::run({"run", study, "--out", dir / "out", "--set", hidden, "--jobs", "2", "--dry-run"},
                dir, "two");
  EXPECT_EQ(two.exit_code, 0) << two.log;
}

// The file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes a write past it fail with EFBIG, as a
// full disk does: probes.csv, the largest file, hits it part-way through the run.
TEST(DiskFull, ARunStopsWithTheFileNamedKeepsEarlierFilesWholeAndResumes) {
  const fs::path dir = scratch("disk_full");
  const fs::path config = write_config(dir, "model: {hidden: [16]}\n", "");
  const std::vector<std::string> settings = {"--set", "train.epochs=30", "--set",
                                             "probes.every_steps=1"};
  auto args = [&](const fs::path& out, std::vector<std::string> more = {}) {
    std::vector<std::string> words = {"run", config, "--out", out};
    words.insert(words.end(), settings.begin(), settings.end());
    words.insert(words.end(), more.begin(), more.end());
    return words;
  };
  const fs::path fresh = dir / "fresh", out = dir / "out";
  const Outcome whole = test::run(args(fresh), dir, "fresh");
  ASSERT_EQ(whole.exit_code, 0) << whole.log;
  const auto probes_size = fs::file_size(fresh / "probes.csv");
  ASSERT_GT(probes_size, 4 * fs::file_size(fresh / "checkpoint.bin"));

  const Outcome full =
      test::start_limited(args(out), dir,
                          {.file_size_bytes = probes_size / 2, .address_space_bytes = std::nullopt},
                          "full")
          .wait();
  EXPECT_EQ(full.exit_code, kExitOutputError) << full.log;
  EXPECT_EQ(full.signal, 0);
  expect_contains(full.log, (out / "probes.csv").string());
  expect_contains(full.log, "File too large");

  // What it left is whole: each file parses, and the epochs it holds are those of the full run.
  const auto epochs = test::metrics_without_timing(out / "metrics.jsonl");
  ASSERT_GE(epochs.size(), 1u);
  ASSERT_LT(epochs.size(), 30u);
  const auto all_epochs = test::metrics_without_timing(fresh / "metrics.jsonl");
  EXPECT_TRUE(std::equal(epochs.begin(), epochs.end(), all_epochs.begin()));
  const std::string probes = read_file(out / "probes.csv");
  EXPECT_TRUE(read_file(fresh / "probes.csv").starts_with(probes));
  EXPECT_EQ(probes.back(), '\n');
  EXPECT_NO_THROW(read_checkpoint(out / "checkpoint.bin"));
  EXPECT_NO_THROW(nlohmann::json::parse(read_file(out / "run.json")));
  EXPECT_NO_THROW(YAML::LoadFile((out / "config.yaml").string()));

  const Outcome resumed = test::run(args(out, {"--resume"}), dir, "resumed");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.log;
  EXPECT_EQ(test::metrics_without_timing(out / "metrics.jsonl"), all_epochs);
  EXPECT_EQ(read_file(out / "probes.csv"), read_file(fresh / "probes.csv"));
  EXPECT_EQ(nlohmann::json::parse(read_file(out / "summary.json"))["status"], "completed");
}

}  // namespace
}  // namespace actlab
