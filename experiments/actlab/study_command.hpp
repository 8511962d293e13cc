#pragma once
// `actlab run STUDY.yaml [--jobs N] [--threads K] [--shard i/N] [--resume]`: every cell of a study
// (a config with a sweep: block, see actlab/experiment/sweep.hpp), each in its own process
// (`actlab run STUDY.yaml --cell ID --out DIR --resume`), a few at a time, with one progress line
// for the whole study. Separate processes, so that a crash or a bad cell takes down one cell only,
// and so that each cell's threads (its compute team, OpenBLAS single-threaded inside it) are its
// own.
// The processes are cell_processes.hpp's, the progress line study_display.hpp's.
//
// Finished cells (completed or diverged) are never run again: with --resume they are skipped, and
// a partial cell continues from its checkpoint. Without --resume a folder that already holds
// results of the study is refused. SIGINT/SIGTERM stop every running cell after its current step
// (each is marked interrupted) and the study exits with 130.
// A study folder holds one configuration: every cell folder and study.json are checked against the
// study as given now before any cell starts, and a mismatch is refused with the keys that differ.
#include <atomic>
#include <filesystem>

#include "actlab/experiment/sweep.hpp"
#include "run_command.hpp"

namespace actlab::cli {

// How many cells run at once and how many threads each gets, where not given: one thread per cell
// (or the config's `threads`), and as many cells as that leaves cores: for these MLPs more cells
// beat more threads per cell (BENCHMARKS.md, "Study parallelism").
struct Parallelism {
  int jobs = 1;
  int threads = 1;
};
Parallelism choose_parallelism(std::optional<int> jobs, std::optional<int> threads,
                               int config_threads, int cores, std::size_t cells);

// `--cell ID [--out DIR]`: ConfigError if DIR holds results of another configuration than the cell,
// or is a cell of the study folder above it (its study.json) with another configuration.
void check_cell_folder(const StudyCell& cell, const std::filesystem::path& dir);

int study_command(const RunOptions& options, const std::atomic<bool>& stop_requested);

}  // namespace actlab::cli
