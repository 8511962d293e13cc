#include "report_command.hpp"

#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "exit_codes.hpp"

extern char** environ;

namespace actlab::cli {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter, not whatever python3 comes first on PATH (a pyenv or venv Python usually
// lacks matplotlib). ACTLAB_PYTHON overrides it.
constexpr const char* kDefaultPython = "/usr/bin/python3";

// The script, in order: $ACTLAB_REPORT_SCRIPT; the source tree this binary was built from
// (ACTLAB_SOURCE_DIR, a compile definition); the same path relative to the executable
// (<repo>/build/<preset>/bin/actlab -> <repo>/experiments/report/report.py), for a moved tree.
std::optional<fs::path> find_script() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("ACTLAB_REPORT_SCRIPT")) candidates.emplace_back(env);
#ifdef ACTLAB_SOURCE_DIR
  candidates.emplace_back(fs::path(ACTLAB_SOURCE_DIR) / "experiments/report/report.py");
#endif
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(exe.parent_path() / "../../../experiments/report/report.py");
  for (const fs::path& candidate : candidates)
    if (fs::is_regular_file(candidate, error)) return fs::weakly_canonical(candidate, error);
  return std::nullopt;
}

}  // namespace

int report_command(const ReportOptions& options) {
  const std::optional<fs::path> script = find_script();
  if (!script) {
    spdlog::error(
        "report.py not found: set ACTLAB_REPORT_SCRIPT to experiments/report/report.py of the "
        "actlab sources");
    return kExitBadInput;
  }
  const char* env_python = std::getenv("ACTLAB_PYTHON");
  const std::string python = env_python != nullptr ? env_python : kDefaultPython;
  const fs::path out = options.out ? *options.out : options.dir / "report";
  std::vector<std::string> args = {python, script->string(), options.dir.string(), "--out",
                                   out.string()};
  if (options.self_contained) args.emplace_back("--self-contained");
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ);
  if (spawned != 0) {
    spdlog::error("{}: cannot start ({}); install python3-matplotlib (bash data/setup.sh)", python,
                  std::strerror(spawned));
    return kExitBadInput;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return kExitOutputError;
  if (!WIFEXITED(status)) {
    spdlog::error("report.py was stopped by a signal");
    return kExitInterrupted;
  }
  // report.py exits 0 (written), 2 (bad input: neither a run nor a study folder), 3 (cannot write),
  // and 1 on an unexpected error (a Python traceback, e.g. matplotlib missing).
  // On success report.py has printed the page's path, alone on stdout, for scripts to use.
  const int code = WEXITSTATUS(status);
  return code == 0 ? kExitOk : code == 2 ? kExitBadInput : kExitOutputError;
}

}  // namespace actlab::cli
