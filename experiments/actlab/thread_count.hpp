#pragma once
// How many threads a run may ask for. Threads beyond the cores only take turns on them: each
// training step waits for every thread, so an oversubscribed run slows down by far more than the
// ratio. Up to 4 per core is allowed with a warning (a container may show fewer cores than the
// machine has); more is refused.
#include <optional>
#include <string>

namespace actlab::cli {

inline constexpr int kThreadsPerCoreLimit = 4;

// ConfigError if `threads` exceeds kThreadsPerCoreLimit * `cores`; otherwise the warning to log
// when it exceeds `cores`, or nothing. `source` names where the count comes from ("--threads").
std::optional<std::string> check_thread_count(int threads, int cores, const std::string& source);

// check_thread_count against this machine's cores, logging the warning.
void check_thread_count(int threads, const std::string& source);

}  // namespace actlab::cli
