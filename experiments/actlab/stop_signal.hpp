#pragma once
// Ctrl-C for long runs: the first SIGINT/SIGTERM asks the run to stop after the current step
// (results stay consistent); a second one, a second or more later, terminates at once. One sooner
// is the same stop delivered twice: Slurm signals every process of a job, a study's cells too, and
// the study's runner passes its own signal on to them.
#include <atomic>

namespace actlab::cli {

// Installs the handlers and returns the flag they set.
const std::atomic<bool>& install_stop_signal_handlers();

}  // namespace actlab::cli
