#pragma once
// Running the `actlab` binary from a test: start it with its output in files, wait for it, read
// what it left.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace actlab::test {

struct Outcome {
  int exit_code = -1;  // -1 if it died from a signal
  int signal = 0;
  std::string log;     // stderr
  std::string output;  // stdout
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
    ::waitpid(pid, &status, 0);
    Outcome outcome;
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
    outcome.log = read_file(err);
    outcome.output = read_file(out);
    return outcome;
  }
};

inline Process start(const std::vector<std::string>& args, const std::filesystem::path& dir,
                     const std::string& name = "actlab") {
  std::filesystem::create_directories(dir);
  Process p{-1, dir / (name + ".stdout"), dir / (name + ".stderr")};
  std::vector<std::string> storage = {ACTLAB_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
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

}  // namespace actlab::test
