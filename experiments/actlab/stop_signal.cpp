#include "stop_signal.hpp"

#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>

namespace actlab::cli {
namespace {

std::atomic<bool> stop_requested{false};
std::atomic<std::int64_t> first_signal_ns{0};  // CLOCK_MONOTONIC of the first stop signal
// A second signal sooner than this after the first is the same stop, delivered twice.
constexpr std::int64_t kSameStopNs = 1'000'000'000;

extern "C" void on_stop_signal(int signal) {
  timespec now_ts{};
  clock_gettime(CLOCK_MONOTONIC, &now_ts);  // async-signal-safe
  const std::int64_t now = std::int64_t{now_ts.tv_sec} * 1'000'000'000 + now_ts.tv_nsec;
  std::int64_t first = 0;
  if (first_signal_ns.compare_exchange_strong(first, now)) {
    stop_requested.store(true);
    return;
  }
  if (now - first < kSameStopNs) return;
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

const std::atomic<bool>& install_stop_signal_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return stop_requested;
}

}  // namespace actlab::cli
