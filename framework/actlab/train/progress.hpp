#pragma once
// A one-line progress display for long work, redrawn in place on a terminal at most ~8 times per
// second: "epoch 2/5 ▕████▌     ▏ 45% 190/430 · loss 0.412 · 48.1k samples/s · ETA 0:06". Off a
// terminal (CI, redirected output) it prints nothing: the per-epoch log lines carry the news there.
// Updating allocates nothing, so it may sit inside the training step.
#include <chrono>
#include <cstddef>
#include <cstdio>

namespace actlab {

class ProgressBar {
 public:
  // Draws only when `stream` is a terminal, unless `force` is set.
  explicit ProgressBar(std::FILE* stream = stderr, bool force = false);

  void start(const char* label, std::size_t total);
  // `done` of `total` finished; `metric_name`/`metric` are shown beside (e.g. the running loss),
  // `rate` is in items per second.
  void update(std::size_t done, const char* metric_name, double metric, double rate);
  // Clears the line so that the next log line starts clean.
  void finish();
  bool enabled() const { return enabled_; }

 private:
  std::FILE* stream_;
  bool enabled_;
  char label_[64] = {};
  std::size_t total_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1:02:03" or "4:05" for a number of seconds; writes into `out` (at least 32 bytes).
void format_duration(double seconds, char* out, std::size_t size);

}  // namespace actlab
