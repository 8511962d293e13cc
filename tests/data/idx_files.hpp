#pragma once
// Test helpers: build IDX files byte by byte (independently of the reader under test) and write
// them, raw or gzip-compressed, into a fresh folder per test.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/golden.hpp"

namespace actlab::test {

using Bytes = std::vector<std::uint8_t>;

// Magic number 0x00 0x00 <type> <dimension count>, then big-endian u32 dimensions, then payload.
inline Bytes idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims,
                       const Bytes& payload) {
  Bytes bytes = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (const std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<std::uint8_t>(d >> shift));
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

inline void write_file(const std::filesystem::path& file, const Bytes& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

inline void write_gz_file(const std::filesystem::path& file, const Bytes& bytes) {
  gzFile out = gzopen(file.c_str(), "wb9");
  if (out == nullptr) throw std::runtime_error("cannot write " + file.string());
  const int written = gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size()));
  if (gzclose(out) != Z_OK || written != static_cast<int>(bytes.size()))
    throw std::runtime_error("cannot write " + file.string());
}

inline Bytes read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// An empty folder named after the running test, under the system's temporary folder; removed
// with everything in it when the object goes out of scope.
class TempFolder {
 public:
  TempFolder() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("actlab_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// data/fixtures/<relative> (committed files written by data/make_fixtures.py).
inline std::filesystem::path fixture(const std::string& relative) {
  return std::filesystem::path(test_path("../data/fixtures/" + relative)).lexically_normal();
}

}  // namespace actlab::test
