#pragma once
// Running the `actlab` binary from a test: start it with its output in files (under resource
// limits, if asked), wait for it, read what it left.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/run_files.hpp"

extern char** environ;

namespace actlab::test {

struct Outcome {
  int exit_code = -1;  // -1 if it died from a signal
  int signal = 0;
  std::string log;        // stderr
  std::string output;     // stdout
  long peak_rss_kib = 0;  // the most memory it held at once (getrusage's ru_maxrss)
};

// Limits set in the child before it runs actlab.
struct Limits {
  // RLIMIT_FSIZE, with SIGXFSZ ignored: a write past it fails with EFBIG, as on a full disk.
  std::optional<rlim_t> file_size_bytes;
  std::optional<rlim_t> address_space_bytes;  // RLIMIT_AS, as `ulimit -v`
};

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An empty folder `name` under the temporary folder's `group`, for one test's files.
inline std::filesystem::path scratch_folder(const std::string& group, const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / group / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A started actlab process, its stdout and stderr going to files in `dir`.
struct Process {
  pid_t pid = -1;
  std::filesystem::path out, err;

  Outcome wait() const {
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    Outcome outcome;
    outcome.peak_rss_kib = usage.ru_maxrss;
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
    outcome.log = read_file(err);
    outcome.output = read_file(out);
    return outcome;
  }
};

// execv's argument vector: pointers into `words`, then null.
inline std::vector<char*> argv_of(std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (auto& word : words)
    argv.push_back(word.data());
  argv.push_back(nullptr);
  return argv;
}

inline Process start(const std::vector<std::string>& args, const std::filesystem::path& dir,
                     const std::string& name = "actlab") {
  std::filesystem::create_directories(dir);
  Process p{-1, dir / (name + ".stdout"), dir / (name + ".stderr")};
  std::vector<std::string> storage = {ACTLAB_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  const std::vector<char*> argv = argv_of(storage);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, p.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, p.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn(&p.pid, ACTLAB_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return p;
}

inline Outcome run(const std::vector<std::string>& args, const std::filesystem::path& dir,
                   const std::string& name = "actlab") {
  return start(args, dir, name).wait();
}

// As start(), with `limits` set in the child (fork and exec: posix_spawn cannot set them).
inline Process start_limited(const std::vector<std::string>& args, const std::filesystem::path& dir,
                             const Limits& limits, const std::string& name = "actlab") {
  std::filesystem::create_directories(dir);
  Process p{-1, dir / (name + ".stdout"), dir / (name + ".stderr")};
  std::vector<std::string> storage = {ACTLAB_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  const std::vector<char*> argv = argv_of(storage);
  p.pid = ::fork();
  if (p.pid == 0) {  // the child: only async-signal-safe calls until exec
    const int out = ::open(p.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(p.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (limits.file_size_bytes) {
      ::signal(SIGXFSZ, SIG_IGN);  // an ignored signal stays ignored across exec
      const rlimit limit{*limits.file_size_bytes, *limits.file_size_bytes};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    if (limits.address_space_bytes) {
      const rlimit limit{*limits.address_space_bytes, *limits.address_space_bytes};
      ::setrlimit(RLIMIT_AS, &limit);
    }
    ::execv(ACTLAB_BINARY, argv.data());
    ::_exit(127);
  }
  return p;
}

// Waits (up to a minute) until some file named `name` exists under `dir`.
inline void wait_for_file(const std::filesystem::path& dir, const std::string& name) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error))
      if (it->path().filename() == name) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "no " << name << " under " << dir;
}

}  // namespace actlab::test
