#pragma once
// Ctrl-C for long runs: the first SIGINT/SIGTERM asks the run to stop after the current step
// (results stay consistent); a second one terminates at once.
#include <atomic>

namespace actlab::cli {

// Installs the handlers and returns the flag they set.
const std::atomic<bool>& install_stop_signal_handlers();

}  // namespace actlab::cli
