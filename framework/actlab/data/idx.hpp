#pragma once
// Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), raw or
// gzip-compressed. Only unsigned-byte files are accepted: 3-d image files (magic 0x00000803) and
// 1-d label files (magic 0x00000801).
//
// Every problem is a DataError whose one-line message starts with the file name, e.g.
//   "t/train-images-idx3-ubyte.gz: truncated: header promises 60000×28×28 = 47040000 bytes of
//    pixels, file holds 1000"
// Memory is never reserved on the word of the header alone: the payload grows as bytes actually
// arrive, so a 16-byte file claiming a terabyte is refused without allocating it, and a header
// promising more than kIdxMaxPayloadBytes is refused outright.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace actlab {

// The largest payload accepted (16 GiB), 340 times the Fashion-MNIST training images: more is
// certainly a damaged or hostile header, and refusing it up front keeps the failure a message.
inline constexpr std::uint64_t kIdxMaxPayloadBytes = std::uint64_t{16} << 30;

struct IdxImages {
  std::size_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // (count, rows*cols) row-major
};

// Reads a file of images (magic 0x00000803). gzip-compressed files (.gz) are decompressed on the
// fly by zlib, which reads uncompressed files as they are, so either form works under any name.
IdxImages read_idx_images(const std::filesystem::path& file);
// Reads a file of labels (magic 0x00000801).
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file);

// The same parsers over an uncompressed in-memory file (for fuzzing and tests); `source_name`
// starts every error message.
IdxImages parse_idx_images(std::span<const std::uint8_t> bytes, std::string_view source_name);
std::vector<std::uint8_t> parse_idx_labels(std::span<const std::uint8_t> bytes,
                                           std::string_view source_name);

}  // namespace actlab
