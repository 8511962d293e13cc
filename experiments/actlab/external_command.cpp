#include "external_command.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "exit_codes.hpp"

namespace actlab::cli {

int exec_beside_self(const std::string& program, const std::vector<std::string>& args) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::filesystem::path path = self.parent_path() / program;
  if (!error) {
    std::vector<std::string> storage = {path.string()};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : storage)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
  }
  const int why = error ? error.value() : errno;
  spdlog::error("{}: cannot run ({}); it is built beside actlab (cmake --build build/release)",
                path.string(), std::strerror(why));
  return kExitMissingProgram;
}

}  // namespace actlab::cli
