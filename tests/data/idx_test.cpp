// The IDX reader: valid files round-trip, every kind of damage is a one-line DataError naming the
// file and the problem, and no header can make the reader allocate memory the file does not back.
#include "actlab/data/idx.hpp"

#include <gtest/gtest.h>

#include <cctype>

#include "actlab/core/error.hpp"
#include "actlab/core/rng.hpp"
#include "data/idx_files.hpp"
#include "support/allocation_tracker.hpp"

namespace actlab {
namespace {

using test::Bytes;
using test::fixture;
using test::idx_bytes;

// 3 images of 2×3 with distinct pixel values, including both ends of the byte range.
const Bytes kPixels = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255, 17, 0, 255, 128, 64, 32};
const Bytes kLabels = {3, 0, 9, 9, 1};

void expect_images(const IdxImages& images) {
  EXPECT_EQ(images.count, 3u);
  EXPECT_EQ(images.rows, 2u);
  EXPECT_EQ(images.cols, 3u);
  EXPECT_EQ(images.pixels, kPixels);
}

TEST(Idx, RawFilesRoundTrip) {
  const test::TempFolder folder;
  test::write_file(folder / "images", idx_bytes(0x08, {3, 2, 3}, kPixels));
  test::write_file(folder / "labels", idx_bytes(0x08, {5}, kLabels));
  expect_images(read_idx_images(folder / "images"));
  EXPECT_EQ(read_idx_labels(folder / "labels"), kLabels);
}

TEST(Idx, GzipFilesRoundTrip) {
  const test::TempFolder folder;
  test::write_gz_file(folder / "images.gz", idx_bytes(0x08, {3, 2, 3}, kPixels));
  test::write_gz_file(folder / "labels.gz", idx_bytes(0x08, {5}, kLabels));
  expect_images(read_idx_images(folder / "images.gz"));
  EXPECT_EQ(read_idx_labels(folder / "labels.gz"), kLabels);
}

TEST(Idx, LargeGzipFileRoundTrips) {
  // 3 MiB of pixels: more than the reader's first 1 MiB chunk, so the payload grows twice.
  const std::uint32_t count = 3 * 1024, rows = 32, cols = 32;
  Bytes pixels(std::size_t{count} * rows * cols);
  Rng rng(5);
  for (auto& p : pixels)
    p = static_cast<std::uint8_t>(rng.below(256));
  const test::TempFolder folder;
  test::write_gz_file(folder / "images.gz", idx_bytes(0x08, {count, rows, cols}, pixels));
  const IdxImages images = read_idx_images(folder / "images.gz");
  EXPECT_EQ(images.count, count);
  EXPECT_EQ(images.pixels, pixels);
  EXPECT_EQ(images.pixels.capacity(), pixels.size());  // grown in chunks, never past the payload
}

TEST(Idx, ParsesInMemoryBuffers) {
  expect_images(parse_idx_images(idx_bytes(0x08, {3, 2, 3}, kPixels), "buffer"));
  EXPECT_EQ(parse_idx_labels(idx_bytes(0x08, {5}, kLabels), "buffer"), kLabels);
}

TEST(Idx, ReadsTheTinyFixture) {
  const IdxImages images = read_idx_images(fixture("tiny/train-images-idx3-ubyte.gz"));
  EXPECT_EQ(images.count, 600u);
  EXPECT_EQ(images.rows, 14u);
  EXPECT_EQ(images.cols, 14u);
  EXPECT_EQ(images.pixels.size(), 600u * 14 * 14);
  EXPECT_EQ(read_idx_labels(fixture("tiny/train-labels-idx1-ubyte.gz")).size(), 600u);
}

struct CorruptCase {
  std::string file;                   // under data/fixtures/corrupt/
  std::vector<std::string> problems;  // substrings the message must contain
};

void PrintTo(const CorruptCase& c, std::ostream* out) {
  *out << c.file;
}

class CorruptFixture : public ::testing::TestWithParam<CorruptCase> {};

TEST_P(CorruptFixture, IsADataErrorNamingTheFileAndTheProblem) {
  const CorruptCase& c = GetParam();
  const std::filesystem::path file = fixture("corrupt/" + c.file);
  try {
    read_idx_images(file);
    FAIL() << "no error for " << file;
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0u) << message;
    for (const auto& problem : c.problems)
      EXPECT_NE(message.find(problem), std::string::npos) << message << "\nlacks: " << problem;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Idx, CorruptFixture,
    ::testing::Values(
        CorruptCase{"bad-magic-idx3-ubyte", {"bad magic number 0x03080000", "expected 0x00000803"}},
        CorruptCase{"truncated-idx3-ubyte",
                    {"truncated: header promises 100×8×8 = 6400 bytes of pixels, file holds 1000"}},
        CorruptCase{"trailing-garbage-idx3-ubyte",
                    {"trailing garbage: header promises 100×8×8 = 6400 bytes of pixels",
                     "file holds 37 bytes more"}},
        CorruptCase{"float32-idx3-ubyte",
                    {"unsupported data type float32", "0x00000D03", "expected 0x00000803"}},
        CorruptCase{"two-dims-idx3-ubyte",
                    {"wrong number of dimensions: 2", "0x00000802", "expected 0x00000803"}},
        CorruptCase{"labels-as-images-idx3-ubyte",
                    {"wrong number of dimensions: 1", "0x00000801", "expected 0x00000803"}},
        CorruptCase{"zero-rows-idx3-ubyte", {"zero dimension: header says 100×0×8"}},
        CorruptCase{"terabytes-idx3-ubyte",
                    {"too large: header promises 1000000×1000×1000 = 1000000000000 bytes",
                     "limit of 16 GiB"}},
        CorruptCase{
            "overflow-idx3-ubyte",
            {"too large: header promises 4294967295×4294967295×4294967295", "more than 2^64"}},
        CorruptCase{"corrupt-idx3-ubyte.gz", {"corrupt .gz"}},
        CorruptCase{"truncated-gz-idx3-ubyte.gz", {"corrupt .gz: compressed stream ends early"}},
        CorruptCase{"empty-idx3-ubyte", {"empty file"}},
        CorruptCase{"no-such-file", {"no such file"}},
        CorruptCase{"count-mismatch", {"is a directory"}}),
    [](const auto& param_info) {
      std::string name = param_info.param.file;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(Idx, LabelFilesAreCheckedLikeImageFiles) {
  EXPECT_THROW(
      {
        try {
          parse_idx_labels(idx_bytes(0x08, {5}, {1, 2, 3}), "labels.bin");
        } catch (const DataError& e) {
          EXPECT_STREQ(e.what(), "labels.bin: truncated: header promises 5 labels, file holds 3");
          throw;
        }
      },
      DataError);
  EXPECT_THROW(parse_idx_labels(idx_bytes(0x08, {3, 2, 3}, kPixels), "x"), DataError);
  EXPECT_THROW(parse_idx_labels(idx_bytes(0x08, {0}, {}), "x"), DataError);
}

TEST(Idx, GzipBytesGivenToTheInMemoryParserAreNamedAsSuch) {
  const Bytes gz = test::read_file(fixture("tiny/train-images-idx3-ubyte.gz"));
  try {
    parse_idx_images(gz, "mem");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("look gzip-compressed"), std::string::npos) << e.what();
  }
}

// The largest single allocation made while `parse` runs.
template <typename F>
std::size_t largest_allocation_during(F parse) {
  test::reset_largest_allocation();
  parse();
  return test::largest_allocation();
}

TEST(Idx, HugeHeadersAreRefusedWithoutAllocating) {
  // A 16-byte file promising a terabyte: refused from the header, before any payload buffer.
  const Bytes terabyte = test::read_file(fixture("corrupt/terabytes-idx3-ubyte"));
  const std::size_t during_terabyte =
      largest_allocation_during([&] { EXPECT_THROW(parse_idx_images(terabyte, "tb"), DataError); });
  EXPECT_LT(during_terabyte, std::size_t{64} << 10);

  // 12 GiB promised (under the 16 GiB limit), 100 bytes present: the buffer grows only as bytes
  // arrive, so the first 1 MiB chunk is the largest allocation.
  const Bytes twelve_gib = idx_bytes(0x08, {12, 1u << 15, 1u << 15}, Bytes(100, 7));
  const std::size_t during_twelve = largest_allocation_during([&] {
    try {
      parse_idx_images(twelve_gib, "12g");
      ADD_FAILURE();
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find("file holds 100"), std::string::npos) << e.what();
    }
  });
  EXPECT_LE(during_twelve, std::size_t{1} << 20);

  // 17 GiB promised: over the limit.
  EXPECT_THROW(parse_idx_images(idx_bytes(0x08, {17, 1u << 15, 1u << 15}, {}), "17g"), DataError);
}

TEST(Idx, EveryPrefixOfAValidFileIsRefused) {
  const Bytes images = idx_bytes(0x08, {3, 2, 3}, kPixels);
  for (std::size_t n = 0; n < images.size(); ++n)
    EXPECT_THROW(parse_idx_images(std::span(images).first(n), "prefix"), DataError) << n;
  const Bytes labels = idx_bytes(0x08, {5}, kLabels);
  for (std::size_t n = 0; n < labels.size(); ++n)
    EXPECT_THROW(parse_idx_labels(std::span(labels).first(n), "prefix"), DataError) << n;
}

// A cheap stand-in for the fuzzer: random byte damage gives a result or a DataError, nothing else.
TEST(Idx, RandomlyDamagedFilesGiveAResultOrADataError) {
  Rng rng(11);
  const Bytes valid = idx_bytes(0x08, {3, 2, 3}, kPixels);
  std::size_t refused = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    Bytes bytes = valid;
    const auto flips = 1 + rng.below(3);
    for (std::uint64_t f = 0; f < flips; ++f)
      bytes[rng.below(bytes.size())] = static_cast<std::uint8_t>(rng.below(256));
    if (rng.below(4) == 0) bytes.resize(rng.below(bytes.size() + 8), 0xEE);
    try {
      const IdxImages images = parse_idx_images(bytes, "fuzz");
      EXPECT_EQ(images.pixels.size(), images.count * images.rows * images.cols);
    } catch (const DataError&) {
      ++refused;
    }
    try {
      parse_idx_labels(bytes, "fuzz");
    } catch (const DataError&) {
    }
  }
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace actlab
