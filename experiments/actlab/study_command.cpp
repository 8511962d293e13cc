#include "study_command.hpp"

#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actlab/core/atomic_file.hpp"
#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"
#include "actlab/experiment/study_summary.hpp"
#include "actlab/experiment/sweep.hpp"
#include "actlab/train/memory_estimate.hpp"
#include "cell_processes.hpp"
#include "command_line.hpp"
#include "exit_codes.hpp"
#include "memory_check.hpp"
#include "study_display.hpp"
#include "thread_count.hpp"

namespace actlab::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<std::string> study_fingerprints(const Study& study) {
  std::vector<std::string> fingerprints;
  for (const auto& cell : study.cells)
    fingerprints.push_back(training_fingerprint(cell.config));
  return fingerprints;
}

// The study as this invocation runs it: which cells are its share, where the results go, and what
// is there already.
struct StudyRun {
  Study study;
  std::string config_file;
  fs::path dir;
  std::vector<std::size_t> mine;  // this shard's cells
  std::vector<std::size_t> todo;  // of those, the ones not finished yet
  std::size_t finished_before = 0;
  std::size_t partial = 0;  // of `todo`, the cells that continue from a checkpoint
};

// Every cell of the folder (other shards' too) and its study.json must be of this configuration,
// checked before any is run; finished cells are kept. Without --resume a folder holding any results
// of the study is refused.
StudyRun plan_study(const RunOptions& options, const Shard& shard) {
  StudyRun run;
  run.study = load_study(options.config, options.overrides);
  run.config_file = options.config.string();
  run.dir = options.out ? *options.out : run.study.output_dir;
  check_study_folder(run.dir, StudyManifest::of(run.study, run.config_file, options.overrides),
                     study_fingerprints(run.study));
  run.mine = shard_cells(run.study.cells.size(), shard);
  std::size_t with_results = 0;
  for (std::size_t c : run.mine) {
    const StudyCell& cell = run.study.cells[c];
    const CellResult result = read_cell_result(run.dir / cell.id, std::nullopt);
    with_results += result.status != "pending";
    if (result.finished()) {
      ++run.finished_before;
    } else {
      run.todo.push_back(c);
      run.partial += result.status != "pending";
    }
  }
  if (!options.resume && !options.dry_run && with_results > 0)
    throw ConfigError(run.dir.string() + " already holds results of this study (" +
                      std::to_string(with_results) + " of " + std::to_string(run.mine.size()) +
                      " cells); add --resume to continue it (finished cells are kept), or "
                      "remove the folder to start over");
  return run;
}

// `actlab run STUDY --cell ID --out DIR --threads K --resume [--set ...]`: one cell, continued
// from its checkpoint if it has one.
std::vector<std::string> cell_args(const StudyRun& run, const RunOptions& options, std::size_t c,
                                   int threads) {
  const std::string& id = run.study.cells[c].id;
  std::vector<std::string> args = {
      "run",       run.config_file,         "--cell",  id, "--out", (run.dir / id).string(),
      "--threads", std::to_string(threads), "--resume"};
  for (const auto& o : options.overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  return args;
}

// The cells' outcomes so far.
struct Outcomes {
  std::size_t completed = 0, diverged = 0, interrupted = 0, failed = 0;
  std::map<std::size_t, std::string> failures;  // cell -> why
  int failure_code = 0;
  bool halted = false;  // start no more cells

  std::size_t succeeded() const { return completed + diverged; }

  // Classifies an ended cell by its exit code and what it left; returns {outcome, detail}.
  std::pair<std::string, std::string> record(const EndedCell& ended, const CellResult& result) {
    const int status = ended.wait_status;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == kExitOk && result.status == "completed") {
      ++completed;
      char text[64];
      std::snprintf(text, sizeof(text), "test acc %.4f", result.final_test_accuracy);
      return {"completed", text};
    }
    if (code == kExitRunFailed && result.status == "diverged") {
      ++diverged;
      return {"diverged", result.message};
    }
    if (code == kExitInterrupted) {
      ++interrupted;
      return {"interrupted", "after epoch " + std::to_string(result.epochs_completed)};
    }
    // Failing before any cell succeeded suggests a systematic problem (the data set missing, the
    // disk full): start no more cells rather than fail them all one by one.
    if (succeeded() == 0) halted = true;
    ++failed;
    const std::string why = WIFSIGNALED(status)
                                ? "killed by signal " + std::to_string(WTERMSIG(status))
                                : ended.explanation;
    failures[ended.cell] = why;
    if (failure_code == 0)
      failure_code = code == kExitBadInput || code == kExitOutputError ? code : kExitRunFailed;
    return {"failed", why};
  }
};

// Runs the cells in `queue`, `jobs` at a time, until every one has ended, a stop was requested
// (each running cell is asked to finish its step) or a failure halted the study. Cells never
// started stay in `queue`. Returns whether a stop was requested.
bool run_cells(const StudyRun& run, const RunOptions& options, const Parallelism& parallel,
               const std::atomic<bool>& stop_requested, std::deque<std::size_t>& queue,
               Outcomes& outcomes) {
  StudyProgress progress;
  for (std::size_t c : run.todo)
    progress.add(c, run.study.cells[c].config.train.epochs,
                 run.dir / run.study.cells[c].id / "metrics.jsonl");
  CellProcesses cells(self_executable());
  StudyDisplay display;
  bool stopping = false;
  const auto start = Clock::now();
  auto last_read = Clock::time_point{};
  auto counts = [&] {
    return StudyCounts{run.finished_before + outcomes.succeeded(), run.mine.size(), cells.running(),
                       outcomes.diverged, outcomes.failed};
  };
  while (!queue.empty() || cells.running() > 0) {
    if (stop_requested.load() && !stopping) {
      stopping = true;
      display.line("stopping: asking " + std::to_string(cells.running()) +
                   " running cell(s) to finish their current step ...");
      cells.interrupt_all();
    }
    while (!stopping && !outcomes.halted &&
           cells.running() < static_cast<std::size_t>(parallel.jobs) && !queue.empty()) {
      cells.start(queue.front(), cell_args(run, options, queue.front(), parallel.threads));
      queue.pop_front();
    }
    if (cells.running() == 0) break;  // stopped or halted: the queue stays pending

    for (const EndedCell& ended : cells.wait(std::chrono::milliseconds(200))) {
      const std::string& id = run.study.cells[ended.cell].id;
      const CellResult result = read_cell_result(run.dir / id, std::nullopt);
      progress.finish(ended.cell, result.epochs_completed);
      const auto [outcome, detail] = outcomes.record(ended, result);
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      display.line(cell_line(counts(), outcome, id, detail, ended.seconds, progress.eta(elapsed)));
    }
    const auto now = Clock::now();
    if (now - last_read > std::chrono::milliseconds(500)) {
      last_read = now;
      for (std::size_t c : cells.running_cells())
        progress.update(c, run.dir / run.study.cells[c].id / "metrics.jsonl");
    }
    const double elapsed = std::chrono::duration<double>(now - start).count();
    display.progress(progress_line(run.study.name, progress, counts(), elapsed));
  }
  display.clear();
  return stopping;
}

// The tables over the whole study (other shards' cells too, as far as they are on disk), with the
// cells that failed here marked so.
std::vector<CellResult> write_tables(const StudyRun& run, const StudyManifest& manifest,
                                     const Outcomes& outcomes) {
  std::vector<CellResult> results =
      read_study_results(run.dir, manifest, run.study.target_accuracy);
  for (auto& r : results)
    for (const auto& [c, why] : outcomes.failures)
      if (run.study.cells[c].id == r.id) {
        r.status = "failed";
        r.message = why;
      }
  write_study_tables(run.dir, manifest, results);
  return results;
}

// A cell to run and its memory estimate.
struct CellEstimate {
  std::size_t cell;
  MemoryEstimate estimate;
};

// The memory estimate of each cell to run. Each distinct data section is loaded once, for its
// shape, and released; a cell whose data cannot be loaded has none, and fails by itself when run,
// with its own message.
std::vector<CellEstimate> cell_estimates(const StudyRun& run, int threads) {
  std::map<std::string, std::optional<DataShape>> shapes;
  std::vector<CellEstimate> estimates;
  for (std::size_t c : run.todo) {
    const ExperimentConfig& config = run.study.cells[c].config;
    YAML::Emitter data_key;
    data_key << to_yaml(config)["data"];
    auto shape = shapes.find(data_key.c_str());
    if (shape == shapes.end()) {
      std::optional<DataShape> loaded;
      try {
        loaded = data_shape(load_data(config.data, config.seed));
      } catch (const Error&) {
      }
      shape = shapes.emplace(data_key.c_str(), loaded).first;
    }
    if (shape->second)
      estimates.push_back({c, estimate_run_memory(config, *shape->second, threads)});
  }
  return estimates;
}

// Each cell must fit one process, and `parallel.jobs` cells the machine at once. Without --jobs,
// the default is lowered to what fits; an explicit --jobs that does not fit is refused.
void check_cells_fit(const StudyRun& run, const std::vector<CellEstimate>& estimates,
                     const AvailableMemory& available, bool jobs_given, Parallelism& parallel) {
  if (estimates.empty()) return;
  std::vector<std::size_t> bytes;
  const CellEstimate* largest = &estimates.front();
  for (const CellEstimate& e : estimates) {
    const StudyCell& cell = run.study.cells[e.cell];
    check_run_fits(e.estimate, cell.config, available, "cell " + cell.id);
    bytes.push_back(e.estimate.total());
    if (e.estimate.total() > largest->estimate.total()) largest = &e;
  }
  const auto jobs = std::min(static_cast<std::size_t>(parallel.jobs), bytes.size());
  const std::size_t fit = jobs_that_fit(bytes, available.shared.bytes);
  if (fit >= jobs) return;
  std::sort(bytes.begin(), bytes.end(), std::greater<>());
  std::size_t at_once = 0;
  for (std::size_t i = 0; i < jobs; ++i)
    at_once += bytes[i];
  const std::string why = std::to_string(jobs) + " cells at once need about " +
                          format_bytes(static_cast<double>(at_once)) +
                          " of memory (the largest cell about " +
                          format_bytes(static_cast<double>(largest->estimate.total())) + ": " +
                          memory_keys(run.study.cells[largest->cell].config) + ") but " +
                          format_bytes(static_cast<double>(available.shared.bytes)) +
                          " is available (" + available.shared.source + ")";
  if (jobs_given)
    throw ConfigError("--jobs " + std::to_string(parallel.jobs) + ": " + why + "; " +
                      std::to_string(fit) + " job(s) would fit: run with --jobs " +
                      std::to_string(fit) + " (actlab run --dry-run shows each cell's estimate)");
  spdlog::info("{}: running {} at a time", why, fit);
  parallel.jobs = static_cast<int>(fit);
}

// --dry-run for a study: each cell's estimate and whether --jobs of them fit; nothing is run.
void print_cell_estimates(const StudyRun& run, const std::vector<CellEstimate>& estimates,
                          const AvailableMemory& available, const Parallelism& parallel) {
  std::printf("study %s: %zu cells to run, %d at a time, %d thread(s) each; memory estimates:\n",
              run.study.name.c_str(), run.todo.size(), parallel.jobs, parallel.threads);
  for (const CellEstimate& e : estimates)
    std::printf("  %s: %s (%zu parameters)\n", run.study.cells[e.cell].id.c_str(),
                format_bytes(static_cast<double>(e.estimate.total())).c_str(),
                e.estimate.parameters);
  if (estimates.size() < run.todo.size())
    std::printf("  (%zu cell(s) without an estimate: their data cannot be loaded)\n",
                run.todo.size() - estimates.size());
  if (!estimates.empty())
    std::printf("the largest cell, part by part:\n%s",
                memory_report(std::max_element(estimates.begin(), estimates.end(),
                                               [](const CellEstimate& a, const CellEstimate& b) {
                                                 return a.estimate.total() < b.estimate.total();
                                               })
                                  ->estimate,
                              available)
                    .c_str());
  std::printf("available at once: %s (%s)\n",
              format_bytes(static_cast<double>(available.shared.bytes)).c_str(),
              available.shared.source.c_str());
  std::fflush(stdout);
}

void log_start(const StudyRun& run, const RunOptions& options, const Shard& shard,
               const Parallelism& parallel) {
  std::string shard_text;
  if (options.shard)
    shard_text = " (shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) +
                 ": " + std::to_string(run.mine.size()) + " of " +
                 std::to_string(run.study.cells.size()) + " cells)";
  const std::string partial_text =
      run.partial > 0 ? " (" + std::to_string(run.partial) + " continue from a checkpoint)" : "";
  spdlog::info(
      "study {}: {} cells{}; {} finished already, {} to run{}; {} at a time, {} BLAS "
      "thread{} each; results in {}",
      run.study.name, run.study.cells.size(), shard_text, run.finished_before, run.todo.size(),
      partial_text, parallel.jobs, parallel.threads, parallel.threads == 1 ? "" : "s",
      run.dir.string());
}

}  // namespace

void check_cell_folder(const StudyCell& cell, const fs::path& dir) {
  const std::string digest = config_digest(cell.config);
  const std::string recorded = recorded_digest(dir);
  if (!recorded.empty() && recorded != digest)
    throw ConfigError(dir.string() + " holds results of another configuration than cell " +
                      cell.id + " (digest " + recorded + ", the cell's " + digest +
                      "); remove the folder or choose another --out");
  // Inside a study folder, the folder's name is the cell it holds there.
  const fs::path study_dir = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  if (!fs::exists(study_dir / "study.json")) return;
  const StudyManifest manifest = read_manifest(study_dir);
  for (std::size_t c = 0; c < manifest.cells.size(); ++c) {
    if (manifest.cells[c].id != dir.filename().string() ||
        manifest.cells[c].config_digest == digest)
      continue;
    const std::vector<std::string> recorded_fingerprints = manifest_fingerprints(manifest);
    const std::string difference =
        c < recorded_fingerprints.size()
            ? config_difference(recorded_fingerprints[c], training_fingerprint(cell.config))
            : "";
    throw ConfigError(dir.string() + " is cell " + manifest.cells[c].id + " of the study in " +
                      study_dir.string() + ", whose configuration differs from cell " + cell.id +
                      " as given now" + (difference.empty() ? "" : " (" + difference + ")") +
                      ": a study folder holds one configuration");
  }
}

Parallelism choose_parallelism(std::optional<int> jobs, std::optional<int> threads,
                               int config_threads, int cores, std::size_t cells) {
  Parallelism p;
  // BLAS threads per cell: as asked, else 1. Measured (BENCHMARKS.md), a second thread makes
  // these MLPs slower, not faster, so spare cores are better spent on more cells.
  p.threads = threads ? *threads : (config_threads > 0 ? config_threads : 1);
  p.jobs = jobs ? *jobs : std::max(1, cores / p.threads);
  p.jobs = std::max(1, std::min<int>(p.jobs, static_cast<int>(std::min<std::size_t>(cells, 1024))));
  return p;
}

int study_command(const RunOptions& options, const std::atomic<bool>& stop_requested) {
  if (options.cell) throw ConfigError("--cell runs one cell: it is handled by run_command");
  const Shard shard = options.shard ? parse_shard(*options.shard) : Shard{};
  const StudyRun run = plan_study(options, shard);
  const StudyManifest manifest = StudyManifest::of(run.study, run.config_file, options.overrides);
  Parallelism parallel =
      choose_parallelism(options.jobs, options.threads, run.study.cells.front().config.threads,
                         available_cores(), run.todo.size());
  check_thread_count(parallel.threads, options.threads ? "--threads" : "threads");
  const std::vector<CellEstimate> estimates = cell_estimates(run, parallel.threads);
  const AvailableMemory available = available_memory();
  if (options.dry_run) print_cell_estimates(run, estimates, available, parallel);
  check_cells_fit(run, estimates, available, options.jobs.has_value(), parallel);
  if (options.dry_run) return kExitOk;
  create_output_directory(run.dir);
  write_manifest(run.dir, manifest);
  log_start(run, options, shard, parallel);

  const auto start = Clock::now();
  std::deque<std::size_t> queue(run.todo.begin(), run.todo.end());
  Outcomes outcomes;
  const bool stopped = run_cells(run, options, parallel, stop_requested, queue, outcomes);
  const std::vector<CellResult> results = write_tables(run, manifest, outcomes);

  const std::string took = duration(std::chrono::duration<double>(Clock::now() - start).count());
  const std::size_t not_started = queue.size();
  if (stopped) {
    spdlog::warn(
        "study {} interrupted after {}: {} cell(s) marked interrupted, {} not started; "
        "continue with: {}",
        run.study.name, took, outcomes.interrupted, not_started,
        resume_command(options.command_line));
    return kExitInterrupted;
  }
  spdlog::info(
      "study {}: {} completed, {} diverged, {} failed{} in {}; {} already finished; "
      "results in {}",
      run.study.name, outcomes.completed, outcomes.diverged, outcomes.failed,
      outcomes.halted && not_started > 0
          ? " (" + std::to_string(not_started) + " not started after the failure)"
          : std::string(),
      took, run.finished_before, run.dir.string());
  std::fputs(groups_table(manifest, summarize_groups(manifest, results), run.study.target_accuracy)
                 .c_str(),
             stdout);
  std::fflush(stdout);
  for (const auto& [c, why] : outcomes.failures)
    spdlog::error("cell {} failed: {}", run.study.cells[c].id, why);
  return outcomes.failed > 0 ? outcomes.failure_code : kExitOk;
}

}  // namespace actlab::cli
