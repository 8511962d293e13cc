#pragma once
// `actlab report DIR`: the plotted report of a study folder (or of one run folder) — report.html
// with PNG figures beside it (or inside it, --self-contained), drawn by
// experiments/report/report.py with matplotlib. This command only finds the script and Debian's
// Python (/usr/bin/python3, which has python3-matplotlib) and runs it; the plotting lives in
// Python.
#include <filesystem>
#include <optional>

namespace actlab::cli {

struct ReportOptions {
  std::filesystem::path dir;                 // runs/<study> or one run folder
  std::optional<std::filesystem::path> out;  // default: DIR/report
  bool self_contained = false;               // figures and CSV files inside report.html
};

int report_command(const ReportOptions& options);

}  // namespace actlab::cli
