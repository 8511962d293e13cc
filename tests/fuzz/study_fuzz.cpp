// libFuzzer target: a generated study file and a sequence of the commands a user could run on it —
// whole studies, shards, single cells, resumes, interrupted runs, overrides, merges, summaries and
// edits of the file in between — each called in-process as `actlab` calls it, in a fresh folder
// per input. The invariants:
//   - nothing crashes, leaks or trips a sanitizer, in this process or in a cell's;
//   - every command either ends with an exit code or is refused with an error of a type that
//     run_reporting_errors maps to one (anything else propagates and is reported as a crash);
//   - a table is made of one configuration: whenever a study, merge or summary gives its table,
//     every cell folder with results in that study folder records the digest that study.json
//     gives that cell, and a study that ran to exit 0 recorded the cells of the study as given.
//
// The study runner starts each cell as a process of its own executable
// (`<self> run STUDY --cell ID --out DIR --threads K --resume [--set KEY=VALUE]...`), so this
// program is also that cell process when called so.
#include <fuzzer/FuzzedDataProvider.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actlab/core/error.hpp"
#include "actlab/experiment/study_summary.hpp"
#include "actlab/experiment/sweep.hpp"
#include "exit_codes.hpp"
#include "merge_command.hpp"
#include "run_command.hpp"
#include "stop_signal.hpp"
#include "summary_command.hpp"

namespace {

namespace fs = std::filesystem;
using actlab::cli::kExitBadInput;
using actlab::cli::kExitOutputError;

[[noreturn]] void violated(const std::string& what) {
  std::fprintf(stderr, "study_fuzz: invariant violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// The cell process: the arguments study_command's cell_args() gives, parsed as `actlab run` would.
int run_cell_process(int argc, char** argv) {
  actlab::cli::RunOptions options;
  options.config = argv[2];
  options.command_line.assign(argv, argv + argc);
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--resume") {
      options.resume = true;
    } else if (arg == "--cell" && has_value) {
      options.cell = argv[++i];
    } else if (arg == "--out" && has_value) {
      options.out = argv[++i];
    } else if (arg == "--threads" && has_value) {
      options.threads = std::atoi(argv[++i]);
    } else if (arg == "--set" && has_value) {
      options.overrides.emplace_back(argv[++i]);
    } else {  // the runner gives its cells more than this knows: keep the two in step
      violated("the study runner gave a cell the argument '" + arg +
               "', which run_cell_process does not know");
    }
  }
  const std::atomic<bool>& stop = actlab::cli::install_stop_signal_handlers();
  return actlab::cli::run_reporting_errors([&] { return actlab::cli::run_command(options, stop); });
}

// Keeps the error lines of the runner: a cell "killed by signal" is a crash in that cell (the
// sanitizers abort there, see LLVMFuzzerInitialize).
class ErrorLines : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(lines_, {});
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.begin(), msg.payload.end());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

std::shared_ptr<ErrorLines> error_lines;

// One of `choices` (not empty).
template <class T>
const T& pick(FuzzedDataProvider& in, const std::vector<T>& choices) {
  return choices[in.ConsumeIntegralInRange<std::size_t>(0, choices.size() - 1)];
}

// ---- The generated study --------------------------------------------------------------------

// A value list for a swept key: one or two entries of `choices`, or, now and then, text from the
// input (to reach the errors of a malformed value).
std::string value_list(FuzzedDataProvider& in, const std::vector<std::string>& choices) {
  if (in.ConsumeIntegralInRange(0, 15) == 0) return "[" + in.ConsumeRandomLengthString(12) + "]";
  std::string list = "[" + pick(in, choices);
  if (in.ConsumeBool()) list += ", " + pick(in, choices);
  return list + "]";
}

// A study of at most four cells, each a few milliseconds of training on 40 generated points. The
// input's choices are taken in the order written (tests/fuzz/make_study_corpus.py relies on it).
std::string study_text(FuzzedDataProvider& in, const fs::path& root) {
  static const std::vector<std::string> rates = {"0.1", "0.05", "5e-2", "0.5"};
  const std::string dataset = in.ConsumeBool() ? "spiral" : "xor";
  const std::string rate = pick(in, rates);
  const std::string epochs = std::to_string(in.ConsumeIntegralInRange(0, 2));
  std::string text = "name: s\nseed: 1\nthreads: 1\noutput: {dir: " + (root / "runs").string() +
                     "}\ndata: {dataset: " + dataset +
                     ", points: 40, validation_size: 8, test_subset: 40}\n"
                     "model: {hidden: [4], activation: relu}\n"
                     "optimizer: {name: sgd, learning_rate: " +
                     rate + "}\ntrain: {epochs: " + epochs +
                     ", batch_size: 16, eval_batch_size: 64}\n"
                     "probes: {every_steps: 0, probe_set_size: 16}\n";
  struct Axis {
    const char* key;
    std::vector<std::string> values;
  };
  static const std::vector<Axis> axes = {
      {"model.activation", {"relu", "tanh", "identity", "{name: leaky_relu, alpha: 0.2}"}},
      {"seed", {"1", "2", "01", "0x1"}},
      {"optimizer.learning_rate", rates},
      {"train.epochs", {"1", "2", "01"}},
      {"data.dataset", {"xor", "spiral"}},
      {"model.depth", {"1", "2"}},
      {"name", {"x"}},  // cannot be swept
  };
  const Axis& first = pick(in, axes);
  text += "sweep:\n  " + std::string(first.key) + ": " + value_list(in, first.values) + "\n";
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: {  // a second axis: a key swept twice is refused
      const Axis& second = pick(in, axes);
      text += "  " + std::string(second.key) + ": " + value_list(in, second.values) + "\n";
      break;
    }
    case 1:  // a zip group, its lists of equal length or not
      text += "zip:\n  - {optimizer.learning_rate: [0.1, 0.05], train.epochs: " +
              std::string(in.ConsumeBool() ? "[1, 2]" : "[1]") + "}\n";
      break;
    default:
      break;
  }
  return text;
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
}

// ---- The commands ---------------------------------------------------------------------------

struct Session {
  fs::path root, study;
  std::vector<fs::path> folders;  // the study folders a command may name
  std::atomic<bool> no_stop{false}, stop{true};
};

std::vector<std::string> overrides(FuzzedDataProvider& in) {
  static const std::vector<std::string> choices = {
      "optimizer.learning_rate=0.5",
      "train.epochs=2",
      "seed=3",
      "sweep.seed=[1]",
      "model.activation=tanh",
      "name=b",
      "sweep.seed=[1, 1]",
      "train.epochs=",
  };
  std::vector<std::string> out;
  for (int n = in.ConsumeIntegralInRange(0, 2); n > 0; --n)
    out.push_back(in.ConsumeIntegralInRange(0, 7) == 0
                      ? "optimizer.learning_rate=" + in.ConsumeRandomLengthString(8)
                      : pick(in, choices));
  return out;
}

const fs::path& folder(FuzzedDataProvider& in, const Session& s) {
  return pick(in, s.folders);
}

// The folders among the session's that exist (CLI11 refuses the others before a command runs).
std::vector<fs::path> existing_folders(FuzzedDataProvider& in, const Session& s) {
  std::vector<fs::path> out;
  for (const fs::path& dir : s.folders)
    if (in.ConsumeBool() && fs::is_directory(dir)) out.push_back(dir);
  return out;
}

// Every cell folder with results in `dir` records the digest study.json gives its cell.
void check_one_configuration(const fs::path& dir, const char* command) {
  if (!fs::exists(dir / "study.json")) return;
  const actlab::StudyManifest manifest = actlab::read_manifest(dir);
  for (const auto& cell : manifest.cells) {
    const std::string recorded = actlab::recorded_digest(dir / cell.id);
    if (!recorded.empty() && recorded != cell.config_digest)
      violated(std::string(command) + " gave the table of " + dir.string() + ", whose cell " +
               cell.id + " records digest " + recorded + " but study.json " + cell.config_digest);
  }
}

// A study that ran to exit 0 recorded the cells of the study as given to it.
void check_recorded_study(const actlab::cli::RunOptions& options, const fs::path& dir) {
  const actlab::Study study = actlab::load_study(options.config, options.overrides);
  const actlab::StudyManifest recorded = actlab::read_manifest(dir);
  if (recorded.cells.size() != study.cells.size())
    violated(dir.string() + "/study.json has " + std::to_string(recorded.cells.size()) +
             " cells, the study as run " + std::to_string(study.cells.size()));
  for (std::size_t c = 0; c < study.cells.size(); ++c)
    if (recorded.cells[c].id != study.cells[c].id ||
        recorded.cells[c].config_digest != actlab::config_digest(study.cells[c].config))
      violated(dir.string() + "/study.json: cell " + recorded.cells[c].id +
               " is not the study's cell " + study.cells[c].id + " as run");
}

void check_cells_did_not_crash() {
  for (const std::string& line : error_lines->take())
    if (line.find("killed by signal") != std::string::npos) violated(line);
}

int run_reporting_errors(const std::function<int()>& command) {
  const int code = actlab::cli::run_reporting_errors(command);
  check_cells_did_not_crash();
  return code;
}

// The command as a user would type it, for ACTLAB_FUZZ_LOG=1.
void log_command(const actlab::cli::RunOptions& o, bool interrupted) {
  std::string line = "actlab run " + o.config.string();
  if (o.cell) line += " --cell '" + *o.cell + "'";
  if (o.shard) line += " --shard " + *o.shard;
  if (o.out) line += " --out " + o.out->string();
  if (o.jobs) line += " --jobs " + std::to_string(*o.jobs);
  if (o.resume) line += " --resume";
  if (o.overwrite) line += " --overwrite";
  for (const std::string& set : o.overrides)
    line += " --set '" + set + "'";
  spdlog::info("{}{}", line, interrupted ? " (stopped at once)" : "");
}

// `actlab run STUDY [--shard i/N] [--jobs J] [--out DIR] [--resume] [--set ...]`, or one cell of
// it (`--cell ID`, in this process as a user would start it), possibly stopped at once (Ctrl-C).
void run_study(FuzzedDataProvider& in, Session& s) {
  static const std::vector<std::string> shards = {"1/2", "2/2", "1/3", "3/3",
                                                  "1/1", "0/2", "3/2", "a/b"};
  actlab::cli::RunOptions options;
  options.config = s.study;
  options.overrides = overrides(in);
  options.threads = 1;
  options.resume = in.ConsumeBool();
  options.overwrite = in.ConsumeIntegralInRange(0, 7) == 0;
  if (in.ConsumeBool()) options.out = folder(in, s);
  if (in.ConsumeIntegralInRange(0, 7) == 0) options.jobs = 2;
  options.command_line = {"actlab", "run", s.study.string()};
  const bool one_cell = in.ConsumeBool();
  if (one_cell) {
    // A cell of the study as the overrides make it, or of the other overrides (another id), or
    // no cell at all; into its own folder or another's.
    std::vector<std::string> ids = {"activation=relu"};
    try {
      for (const auto& cell : actlab::load_study(s.study, overrides(in)).cells)
        ids.push_back(cell.id);
    } catch (const actlab::Error&) {
    }
    options.cell = pick(in, ids);
    if (options.out && in.ConsumeBool()) *options.out /= pick(in, ids);
  }
  if (in.ConsumeIntegralInRange(0, 3) == 0) options.shard = pick(in, shards);
  const bool interrupted = in.ConsumeIntegralInRange(0, 7) == 0;
  log_command(options, interrupted);
  const int code = run_reporting_errors(
      [&] { return actlab::cli::run_command(options, interrupted ? s.stop : s.no_stop); });
  if (one_cell || code == kExitBadInput || code == kExitOutputError) return;
  // The runner wrote the study's tables.
  fs::path dir;
  try {
    dir = options.out ? *options.out : actlab::load_study(s.study, options.overrides).output_dir;
  } catch (const actlab::Error&) {
    return;
  }
  check_one_configuration(dir, "run");
  if (code == 0) check_recorded_study(options, dir);
}

void merge(FuzzedDataProvider& in, Session& s) {
  actlab::cli::MergeOptions options;
  options.inputs = existing_folders(in, s);
  if (options.inputs.empty()) return;
  if (in.ConsumeBool()) options.out = folder(in, s);
  std::string line = "actlab merge";
  for (const fs::path& dir : options.inputs)
    line += " " + dir.string();
  spdlog::info("{}{}", line, options.out ? " --out " + options.out->string() : std::string());
  const int code = run_reporting_errors([&] { return actlab::cli::merge_command(options); });
  if (code != 0) return;
  check_one_configuration(options.out ? *options.out : options.inputs.front(), "merge");
}

void summary(FuzzedDataProvider& in, Session& s) {
  const fs::path& dir = folder(in, s);
  if (!fs::is_directory(dir)) return;
  spdlog::info("actlab summary {}", dir.string());
  const int code = run_reporting_errors([&] { return actlab::cli::summary_command({dir, {}}); });
  if (code == 0) check_one_configuration(dir, "summary");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (*argc >= 3 && std::string((*argv)[1]) == "run") {
    spdlog::set_default_logger(spdlog::stderr_color_mt("actlab"));  // as actlab's own log
    std::exit(run_cell_process(*argc, *argv));
  }
  // A sanitizer's report in a cell process aborts it, so that the runner sees a signal rather than
  // an exit code it could take for the run's own.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    const char* given = std::getenv(name);
    setenv(name, (std::string(given ? given : "") + ":abort_on_error=1").c_str(), 1);
  }
  // Quiet: the runner's error lines go to the invariant check only (ACTLAB_FUZZ_LOG=1: every line
  // to stderr too).
  error_lines = std::make_shared<ErrorLines>();
  auto logger = std::make_shared<spdlog::logger>("study_fuzz", error_lines);
  logger->set_level(spdlog::level::err);
  if (std::getenv("ACTLAB_FUZZ_LOG")) {
    logger->sinks().push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_level(spdlog::level::trace);
  }
  spdlog::set_default_logger(logger);
  // The tables that summary and merge print.
  if (std::freopen("/dev/null", "w", stdout) == nullptr) std::perror("study_fuzz: /dev/null");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Session s;
  s.root = fs::temp_directory_path() / ("actlab_study_fuzz_" + std::to_string(::getpid()));
  fs::remove_all(s.root);
  fs::create_directories(s.root);
  s.study = s.root / "study.yaml";
  for (const char* name : {"s", "b", "other"})
    s.folders.push_back(s.root / "runs" / name);
  write_file(s.study, study_text(in, s.root));
  if (std::getenv("ACTLAB_FUZZ_LOG")) {
    std::ifstream text(s.study);
    spdlog::info("{}:\n{}", s.study.string(),
                 std::string(std::istreambuf_iterator<char>(text), {}));
  }
  for (int commands = in.ConsumeIntegralInRange(1, 5); commands > 0; --commands) {
    switch (in.ConsumeIntegralInRange(0, 4)) {
      case 0:
      case 1:
        run_study(in, s);
        break;
      case 2:
        merge(in, s);
        break;
      case 3:
        summary(in, s);
        break;
      case 4:  // the user edits the study between commands
        write_file(s.study, study_text(in, s.root));
        spdlog::info("edited {}", s.study.string());
        break;
    }
  }
  fs::remove_all(s.root);
  return 0;
}
