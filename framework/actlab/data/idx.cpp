#include "actlab/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "actlab/core/error.hpp"

namespace actlab {
namespace {

// What a caller expects to find: IDX magic numbers are 0x00 0x00 <data type> <dimension count>.
struct IdxKind {
  std::uint32_t magic;
  std::size_t dimensions;
  const char* dimension_names;  // for messages
  const char* payload;          // "bytes of pixels", "labels"
};
constexpr std::uint8_t kUnsignedByte = 0x08;
constexpr IdxKind kImages{0x00000803, 3, "count×rows×cols", "bytes of pixels"};
constexpr IdxKind kLabels{0x00000801, 1, "count", "labels"};

// Counting the bytes after the promised payload is only for the message; stop counting a
// (possibly decompressing) stream after this many.
constexpr std::size_t kTrailingCountLimit = std::size_t{1} << 20;

std::string hex32(std::uint32_t value) {
  std::array<char, 11> text{};
  std::snprintf(text.data(), text.size(), "0x%08X", value);
  return text.data();
}

const char* type_name(std::uint8_t code) {
  switch (code) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return nullptr;
  }
}

std::string expected_description(const IdxKind& kind) {
  return hex32(kind.magic) + ": unsigned bytes, " + std::to_string(kind.dimensions) +
         (kind.dimensions == 1 ? " dimension " : " dimensions ") + kind.dimension_names;
}

std::string shape_text(const std::vector<std::uint64_t>& dims) {
  std::string text;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) text += "×";
    text += std::to_string(dims[i]);
  }
  return text;
}

// "100×8×8 = 6400 bytes of pixels" or, for one dimension, "60000 labels".
std::string promise_text(const std::vector<std::uint64_t>& dims, std::uint64_t total,
                         const IdxKind& kind) {
  std::string text = shape_text(dims);
  if (dims.size() > 1) text += " = " + std::to_string(total);
  return text + " " + kind.payload;
}

// A source of file bytes: an in-memory buffer or a (possibly gzip-compressed) file.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Copies up to n bytes into out and returns how many; fewer than n only at the end of the data.
  // Throws DataError when the data cannot be read (I/O or decompression error).
  virtual std::size_t read(std::uint8_t* out, std::size_t n) = 0;
};

class SpanSource final : public ByteSource {
 public:
  explicit SpanSource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t read(std::uint8_t* out, std::size_t n) override {
    const std::size_t count = std::min(n, bytes_.size() - position_);
    std::copy_n(bytes_.data() + position_, count, out);
    position_ += count;
    return count;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

// zlib's gz* functions decompress gzip files and read other files unchanged ("transparent" mode).
class GzFileSource final : public ByteSource {
 public:
  GzFileSource(const std::filesystem::path& file, const std::string& name) : name_(name) {
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw DataError(name_ + ": cannot open: " + ec.message());
    if (!std::filesystem::exists(status)) throw DataError(name_ + ": no such file");
    if (std::filesystem::is_directory(status))
      throw DataError(name_ + ": is a directory, expected an IDX file");
    errno = 0;
    file_ = gzopen(file.c_str(), "rb");
    if (file_ == nullptr)
      throw DataError(name_ +
                      ": cannot open: " + (errno ? std::strerror(errno) : "out of memory in zlib"));
    gzbuffer(file_, 1u << 18);  // fewer, larger reads than the 8 KiB default
  }
  GzFileSource(const GzFileSource&) = delete;
  GzFileSource& operator=(const GzFileSource&) = delete;
  ~GzFileSource() override { gzclose(file_); }

  std::size_t read(std::uint8_t* out, std::size_t n) override {
    std::size_t total = 0;
    while (total < n) {
      // gzread takes an unsigned count and returns an int.
      const auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
      const int got = gzread(file_, out + total, chunk);
      check_stream();
      if (got <= 0) break;
      total += static_cast<std::size_t>(got);
    }
    return total;
  }

 private:
  void check_stream() {
    int code = Z_OK;
    std::string message = gzerror(file_, &code);
    if (code == Z_OK) return;
    // zlib's message starts with the path we already print.
    if (message.rfind(name_ + ": ", 0) == 0) message.erase(0, name_.size() + 2);
    if (code == Z_BUF_ERROR)  // zlib's code for a gzip stream that ends before its trailer
      throw DataError(name_ + ": corrupt .gz: compressed stream ends early (" + message + ")");
    if (code == Z_ERRNO) throw DataError(name_ + ": read error: " + std::strerror(errno));
    throw DataError(name_ + ": corrupt .gz: " + message);
  }

  std::string name_;
  gzFile file_ = nullptr;
};

// Reads and checks the header; returns the dimensions.
std::vector<std::uint64_t> read_header(ByteSource& in, const std::string& name,
                                       const IdxKind& kind) {
  std::array<std::uint8_t, 4> magic_bytes{};
  const std::size_t got = in.read(magic_bytes.data(), magic_bytes.size());
  if (got == 0)
    throw DataError(name + ": empty file, expected an IDX header with magic number " +
                    hex32(kind.magic));
  if (got < magic_bytes.size())
    throw DataError(name + ": truncated header: file holds " + std::to_string(got) +
                    " bytes, an IDX magic number needs 4");
  const std::uint32_t magic = (std::uint32_t{magic_bytes[0]} << 24) |
                              (std::uint32_t{magic_bytes[1]} << 16) |
                              (std::uint32_t{magic_bytes[2]} << 8) | magic_bytes[3];
  if (magic != kind.magic) {
    const std::uint8_t type = magic_bytes[2];
    const std::size_t dimensions = magic_bytes[3];
    std::string problem;
    if (magic_bytes[0] != 0 || magic_bytes[1] != 0 || type_name(type) == nullptr) {
      problem = "bad magic number " + hex32(magic) + ", expected " + expected_description(kind);
      if (magic_bytes[0] == 0x1f && magic_bytes[1] == 0x8b)
        problem += " (the bytes look gzip-compressed)";
    } else if (type != kUnsignedByte) {
      problem = std::string("unsupported data type ") + type_name(type) + " (magic number " +
                hex32(magic) + "), expected " + expected_description(kind);
    } else {
      problem = "wrong number of dimensions: " + std::to_string(dimensions) + " (magic number " +
                hex32(magic) + "), expected " + expected_description(kind);
    }
    throw DataError(name + ": " + problem);
  }

  std::array<std::uint8_t, 4 * 3> dim_bytes{};
  const std::size_t dim_size = 4 * kind.dimensions;
  const std::size_t got_dims = in.read(dim_bytes.data(), dim_size);
  if (got_dims < dim_size)
    throw DataError(name + ": truncated header: file holds " + std::to_string(4 + got_dims) +
                    " bytes, an IDX header with " + std::to_string(kind.dimensions) +
                    " dimensions needs " + std::to_string(4 + dim_size));
  std::vector<std::uint64_t> dims(kind.dimensions);
  for (std::size_t i = 0; i < kind.dimensions; ++i) {
    const std::uint8_t* b = dim_bytes.data() + 4 * i;
    dims[i] = (std::uint64_t{b[0]} << 24) | (std::uint64_t{b[1]} << 16) |
              (std::uint64_t{b[2]} << 8) | b[3];
  }
  if (std::find(dims.begin(), dims.end(), 0u) != dims.end())
    throw DataError(name + ": zero dimension: header says " + shape_text(dims) + " (" +
                    kind.dimension_names + ")");
  return dims;
}

// Reads exactly the payload the header promises; refuses a short or over-long file.
std::vector<std::uint8_t> read_payload(ByteSource& in, const std::string& name,
                                       const std::vector<std::uint64_t>& dims,
                                       const IdxKind& kind) {
  std::uint64_t expected = 1;
  for (const std::uint64_t d : dims) {
    if (__builtin_mul_overflow(expected, d, &expected))
      throw DataError(name + ": too large: header promises " + shape_text(dims) + " " +
                      kind.payload + ", more than 2^64");
  }
  if (expected > kIdxMaxPayloadBytes)
    throw DataError(name + ": too large: header promises " + promise_text(dims, expected, kind) +
                    ", more than the limit of " + std::to_string(kIdxMaxPayloadBytes >> 30) +
                    " GiB");

  // Grow only as bytes arrive: a header alone cannot make us reserve memory the file does not
  // back. Chunks double (from 1 MiB) so the copying stays linear, and never pass `expected`.
  std::vector<std::uint8_t> payload;
  constexpr std::size_t kFirstChunk = std::size_t{1} << 20;
  while (payload.size() < expected) {
    const std::size_t old_size = payload.size();
    const std::size_t want =
        std::min<std::size_t>(expected - old_size, std::max(kFirstChunk, old_size));
    payload.reserve(old_size + want);  // exact: resize alone may round the capacity up
    payload.resize(old_size + want);
    const std::size_t got = in.read(payload.data() + old_size, want);
    if (got < want)
      throw DataError(name + ": truncated: header promises " + promise_text(dims, expected, kind) +
                      ", file holds " + std::to_string(old_size + got));
  }

  std::array<std::uint8_t, 4096> scratch{};
  std::size_t extra = 0;
  for (std::size_t got;
       extra < kTrailingCountLimit && (got = in.read(scratch.data(), scratch.size())) > 0;)
    extra += got;
  if (extra > 0)
    throw DataError(name + ": trailing garbage: header promises " +
                    promise_text(dims, expected, kind) + ", file holds " +
                    (extra >= kTrailingCountLimit ? "at least " : "") + std::to_string(extra) +
                    " bytes more");
  return payload;
}

IdxImages read_images(ByteSource& in, const std::string& name) {
  const std::vector<std::uint64_t> dims = read_header(in, name, kImages);
  IdxImages images;
  images.pixels = read_payload(in, name, dims, kImages);
  images.count = dims[0];
  images.rows = dims[1];
  images.cols = dims[2];
  return images;
}

std::vector<std::uint8_t> read_labels(ByteSource& in, const std::string& name) {
  const std::vector<std::uint64_t> dims = read_header(in, name, kLabels);
  return read_payload(in, name, dims, kLabels);
}

}  // namespace

IdxImages read_idx_images(const std::filesystem::path& file) {
  const std::string name = file.string();
  GzFileSource in(file, name);
  return read_images(in, name);
}

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& file) {
  const std::string name = file.string();
  GzFileSource in(file, name);
  return read_labels(in, name);
}

IdxImages parse_idx_images(std::span<const std::uint8_t> bytes, std::string_view source_name) {
  SpanSource in(bytes);
  return read_images(in, std::string(source_name));
}

std::vector<std::uint8_t> parse_idx_labels(std::span<const std::uint8_t> bytes,
                                           std::string_view source_name) {
  SpanSource in(bytes);
  return read_labels(in, std::string(source_name));
}

}  // namespace actlab
