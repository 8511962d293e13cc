#include "study_display.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "actlab/train/progress.hpp"

namespace actlab::cli {
namespace {

std::size_t count_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return static_cast<std::size_t>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

std::string bar(double fraction) {
  constexpr int kWidth = 20;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
  std::string out = "[";
  for (int i = 0; i < kWidth; ++i)
    out += i < filled ? '#' : (i == filled ? '>' : ' ');
  return out + "]";
}

}  // namespace

StudyDisplay::StudyDisplay() : terminal_(::isatty(STDERR_FILENO) != 0) {}

void StudyDisplay::line(const std::string& text) {
  clear();
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  drawn_ = false;
}

void StudyDisplay::progress(const std::string& text) {
  if (!terminal_) return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void StudyDisplay::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

void StudyProgress::add(std::size_t cell, std::size_t epochs,
                        const std::filesystem::path& metrics) {
  const std::size_t lines = count_lines(metrics);
  cells_[cell] = {epochs, lines, lines, false};
}

void StudyProgress::update(std::size_t cell, const std::filesystem::path& metrics) {
  cells_[cell].now = count_lines(metrics);
}

void StudyProgress::finish(std::size_t cell, std::size_t epochs_completed) {
  cells_[cell].now = epochs_completed;
  cells_[cell].finished = true;
}

std::size_t StudyProgress::done() const {
  std::size_t epochs = 0;
  for (const auto& [id, c] : cells_)
    epochs += c.now > c.at_start ? c.now - c.at_start : 0;
  return epochs;
}

std::size_t StudyProgress::left() const {
  std::size_t epochs = 0;
  for (const auto& [id, c] : cells_)
    if (!c.finished) epochs += c.epochs > c.now ? c.epochs - c.now : 0;
  return epochs;
}

double StudyProgress::fraction() const {
  const std::size_t d = done(), l = left();
  return d + l > 0 ? static_cast<double>(d) / static_cast<double>(d + l) : 1.0;
}

double StudyProgress::eta(double elapsed) const {
  const std::size_t d = done();
  return d > 0 ? elapsed * static_cast<double>(left()) / static_cast<double>(d) : -1;
}

std::string duration(double seconds) {
  char text[32];
  format_duration(seconds, text, sizeof(text));
  return text;
}

std::string progress_line(const std::string& study, const StudyProgress& progress,
                          const StudyCounts& counts, double elapsed) {
  const double fraction = progress.fraction();
  char text[256];
  std::snprintf(text, sizeof(text),
                "study %s %s %3.0f%% · %zu/%zu done · %zu running · %zu diverged · %zu failed · "
                "ETA %s",
                study.c_str(), bar(fraction).c_str(), 100 * fraction, counts.done, counts.total,
                counts.running, counts.diverged, counts.failed,
                duration(progress.eta(elapsed)).c_str());
  return text;
}

std::string cell_line(const StudyCounts& counts, const std::string& outcome,
                      const std::string& cell, const std::string& detail, double seconds,
                      double eta_seconds) {
  // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string.
  char head[64];
  std::snprintf(head, sizeof(head), "[%zu/%zu] ", counts.done, counts.total);
  std::string line = head;
  for (const std::string* part : {&outcome, &cell, &detail}) {
    line += *part;
    line += "  ";
  }
  line += '(';
  line += duration(seconds);
  line += ')';
  if (counts.done < counts.total) {
    line += " · ETA ";
    line += duration(eta_seconds);
  }
  return line;
}

}  // namespace actlab::cli
