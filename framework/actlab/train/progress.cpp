#include "actlab/train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace actlab {

void format_duration(double seconds, char* out, std::size_t size) {
  if (!std::isfinite(seconds) || seconds < 0) {
    std::snprintf(out, size, "--:--");
    return;
  }
  const auto total = static_cast<long>(seconds + 0.5);
  const long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  if (h > 0)
    std::snprintf(out, size, "%ld:%02ld:%02ld", h, m, s);
  else
    std::snprintf(out, size, "%ld:%02ld", m, s);
}

ProgressBar::ProgressBar(std::FILE* stream, bool force)
    : stream_(stream), enabled_(force || ::isatty(::fileno(stream))) {}

void ProgressBar::start(const char* label, std::size_t total) {
  std::snprintf(label_, sizeof(label_), "%s", label);
  total_ = std::max<std::size_t>(total, 1);
  started_ = last_draw_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(std::size_t done, const char* metric_name, double metric, double rate) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(120)) return;
  last_draw_ = now;
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  char eta[32];
  format_duration(fraction > 0 ? elapsed * (1 - fraction) / fraction : -1, eta, sizeof(eta));
  constexpr int kWidth = 24;
  char bar[kWidth + 1];
  const int filled = static_cast<int>(fraction * kWidth);
  for (int i = 0; i < kWidth; ++i)
    bar[i] = i < filled ? '#' : (i == filled ? '>' : ' ');
  bar[kWidth] = '\0';
  std::fprintf(stream_, "\r\033[K%s [%s] %3.0f%% %zu/%zu · %s %.4g · %.1fk/s · ETA %s", label_, bar,
               100 * fraction, done, total_, metric_name, metric, rate / 1000.0, eta);
  std::fflush(stream_);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  std::fprintf(stream_, "\r\033[K");
  std::fflush(stream_);
}

}  // namespace actlab
