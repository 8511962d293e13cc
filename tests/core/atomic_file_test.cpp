#include "actlab/core/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "actlab/core/error.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "actlab_atomic_file_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(AtomicFile, ReplacesTheWholeFile) {
  const fs::path file = scratch("replace") / "metrics.jsonl";
  write_file_atomic(file, "first\n");
  write_file_atomic(file, "second\n");
  EXPECT_EQ(read_file(file), "second\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator{}), 1);
}

// A full disk, simulated with a file-size limit (RLIMIT_FSIZE) in a child process: the write fails
// with EFBIG, the error says the previous version is kept, and it is, byte for byte, with no
// temporary file left behind.
TEST(AtomicFile, AFullDiskLeavesTheEarlierResultIntact) {
  const fs::path dir = scratch("full_disk");
  const fs::path file = dir / "summary.json";
  write_file_atomic(file, "{\"status\": \"completed\"}\n");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
    const rlimit limit{16, 16};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_file_atomic(file, std::string(4096, 'x'));
    } catch (const OutputError& e) {
      const std::string message = e.what();
      ::_exit(message.find("previous version is kept") != std::string::npos &&
                      message.find("summary.json") != std::string::npos
                  ? 0
                  : 2);
    }
    ::_exit(1);  // no error: the limit did not bite
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error was raised; 2: the message is not as expected";
  EXPECT_EQ(read_file(file), "{\"status\": \"completed\"}\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
}

TEST(AtomicFile, AnUncreatableFolderIsAnOutputError) {
  const fs::path dir = scratch("blocked");
  write_file_atomic(dir / "a_file", "x");
  EXPECT_THROW(create_output_directory(dir / "a_file" / "run"), OutputError);
  EXPECT_THROW(write_file_atomic(dir / "missing" / "f.txt", "x"), OutputError);
}

}  // namespace
}  // namespace actlab
