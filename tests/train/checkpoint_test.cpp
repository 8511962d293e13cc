// checkpoint.bin: every field survives the round trip bit for bit, the layout is the documented
// one, and a damaged, truncated, foreign or mismatched file is refused with a message naming it.
#include "actlab/train/checkpoint.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "actlab/core/error.hpp"

namespace actlab {
namespace {

Checkpoint sample_checkpoint() {
  Checkpoint c;
  c.config = "model: {hidden: [4]}\nseed: 3\n";
  c.epoch = 7;
  c.step = 91;
  c.elapsed_seconds = 12.5;
  // Values whose bits must survive: negative zero, a denormal, the largest float, NaN.
  c.parameters = {1.5f, -0.0f, std::numeric_limits<float>::denorm_min(),
                  std::numeric_limits<float>::max(), std::nanf("")};
  c.network_state = {{"1.batchnorm.running_mean", {0.5f, -2.0f}},
                     {"1.batchnorm.running_var", {1.0f, 0.25f}}};
  c.optimizer_steps = 91;
  c.optimizer_state = {{"exp_avg", {0.25f, -1.0f, 0.0f, 3.0f, 2.0f}},
                       {"exp_avg_sq", {1e-8f, 2.0f, 3.0f, 4.0f, 5.0f}}};
  c.layer_rng = {1, 0xffffffffffffffffULL, 42, 0x123456789abcdef0ULL};
  c.early_stopping = {0.3125, 5, 2};
  c.probes_last_measured = 91;
  c.probes_dead_at_start = {{0, 1, 1, 0}, {}};
  c.metrics = {1234, 0xdeadbeef};
  c.probes = {99, 7};
  return c;
}

std::filesystem::path scratch_file(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "actlab_checkpoint_test";
  std::filesystem::create_directories(dir);
  return dir / name;
}

void write_bytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

std::string refusal(const std::string& bytes, const std::string& name) {
  const auto file = scratch_file(name);
  write_bytes(file, bytes);
  try {
    read_checkpoint(file);
  } catch (const CheckpointError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(file.string()), std::string::npos) << "file not named: " << message;
    return message;
  }
  ADD_FAILURE() << "accepted a bad checkpoint: " << name;
  return "";
}

template <typename T>
T at(const std::string& bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

TEST(Checkpoint, RoundTripKeepsEveryBit) {
  const Checkpoint c = sample_checkpoint();
  const auto file = scratch_file("round_trip.bin");
  write_checkpoint(file, c);
  const Checkpoint r = read_checkpoint(file);
  EXPECT_EQ(r.source, file);
  EXPECT_EQ(r.config, c.config);
  EXPECT_EQ(r.epoch, c.epoch);
  EXPECT_EQ(r.step, c.step);
  EXPECT_EQ(r.elapsed_seconds, c.elapsed_seconds);
  ASSERT_EQ(r.parameters.size(), c.parameters.size());
  EXPECT_EQ(std::memcmp(r.parameters.data(), c.parameters.data(), c.parameters.size() * 4), 0);
  EXPECT_EQ(r.network_state, c.network_state);
  EXPECT_EQ(r.optimizer_steps, c.optimizer_steps);
  EXPECT_EQ(r.optimizer_state, c.optimizer_state);
  EXPECT_EQ(r.layer_rng, c.layer_rng);
  EXPECT_EQ(r.early_stopping.best_loss, c.early_stopping.best_loss);
  EXPECT_EQ(r.early_stopping.best_epoch, c.early_stopping.best_epoch);
  EXPECT_EQ(r.early_stopping.epochs_without_improvement,
            c.early_stopping.epochs_without_improvement);
  EXPECT_EQ(r.probes_last_measured, c.probes_last_measured);
  EXPECT_EQ(r.probes_dead_at_start, c.probes_dead_at_start);
  EXPECT_EQ(r.metrics, c.metrics);
  EXPECT_EQ(r.probes, c.probes);
  // Nothing is left behind but the file itself.
  for (const auto& entry : std::filesystem::directory_iterator(file.parent_path()))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST(Checkpoint, HeaderHasTheDocumentedLayout) {
  const std::string bytes = serialize_checkpoint(sample_checkpoint());
  ASSERT_GE(bytes.size(), 32u);
  EXPECT_EQ(bytes.substr(0, 8), "ACTLABCK");
  EXPECT_EQ(at<std::uint32_t>(bytes, 8), kCheckpointVersion);
  EXPECT_EQ(at<std::uint32_t>(bytes, 12), 32u);
  EXPECT_EQ(at<std::uint64_t>(bytes, 16), bytes.size() - 32);
  // The checksum is zlib's crc32 of everything after the header.
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data() + 32),
                          static_cast<uInt>(bytes.size() - 32));
  EXPECT_EQ(at<std::uint32_t>(bytes, 24), static_cast<std::uint32_t>(crc));
  EXPECT_EQ(at<std::uint32_t>(bytes, 28), 0u);
  // The payload starts with the configuration string: u64 length, then its bytes.
  const std::string config = sample_checkpoint().config;
  EXPECT_EQ(at<std::uint64_t>(bytes, 32), config.size());
  EXPECT_EQ(bytes.substr(40, config.size()), config);
}

TEST(Checkpoint, Crc32MatchesTheStandardCheckValue) {
  // The CRC-32 (IEEE 802.3) check value of "123456789".
  EXPECT_EQ(crc32_of("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32_of(""), 0u);
}

TEST(Checkpoint, EveryFlippedPayloadByteIsDetected) {
  const std::string good = serialize_checkpoint(sample_checkpoint());
  for (std::size_t i = 32; i < good.size(); i += 7) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_THROW(deserialize_checkpoint(bad, "x.bin"), CheckpointError) << "byte " << i;
  }
  std::string bad = good;
  bad[good.size() / 2] ^= 1;
  EXPECT_NE(refusal(bad, "flipped.bin").find("corrupted checkpoint: CRC-32"), std::string::npos);
}

TEST(Checkpoint, TruncatedFilesAreRefused) {
  const std::string good = serialize_checkpoint(sample_checkpoint());
  EXPECT_NE(refusal(good.substr(0, 20), "short.bin").find("truncated checkpoint: 20 bytes"),
            std::string::npos);
  EXPECT_NE(refusal(good.substr(0, good.size() - 1), "cut.bin").find("truncated or padded"),
            std::string::npos);
  EXPECT_NE(refusal("", "empty.bin").find("truncated"), std::string::npos);
}

TEST(Checkpoint, ForeignFilesAndOtherVersionsAreRefused) {
  std::string bytes = serialize_checkpoint(sample_checkpoint());
  std::string foreign = bytes;
  foreign[0] = 'X';
  EXPECT_NE(refusal(foreign, "foreign.bin").find("not an actlab checkpoint"), std::string::npos);
  std::string future = bytes;
  const std::uint32_t version = kCheckpointVersion + 1;
  std::memcpy(future.data() + 8, &version, 4);
  EXPECT_NE(refusal(future, "future.bin")
                .find("format version " + std::to_string(kCheckpointVersion + 1) +
                      "; this actlab reads version " + std::to_string(kCheckpointVersion)),
            std::string::npos);
}

TEST(Checkpoint, AMalformedLengthCannotReadPastTheEnd) {
  // A payload with a valid checksum but an absurd parameter count.
  Checkpoint c = sample_checkpoint();
  std::string bytes = serialize_checkpoint(c);
  const std::size_t count_at = 32 + 8 + c.config.size() + 8 + 8 + 8;
  ASSERT_EQ(at<std::uint64_t>(bytes, count_at), c.parameters.size());
  const std::uint64_t huge = 1ULL << 62;
  std::memcpy(bytes.data() + count_at, &huge, 8);
  const std::uint32_t crc = crc32_of(std::string_view(bytes).substr(32));
  std::memcpy(bytes.data() + 24, &crc, 4);
  EXPECT_NE(refusal(bytes, "huge.bin").find("malformed checkpoint: parameters"), std::string::npos);
}

TEST(Checkpoint, AMissingFileIsRefused) {
  EXPECT_THROW(read_checkpoint(scratch_file("does_not_exist.bin")), CheckpointError);
}

TEST(Checkpoint, ADifferentConfigurationIsRefusedNamingTheKey) {
  Checkpoint c;
  c.config = "seed: 1\ntrain: {epochs: 3, batch_size: 32}\n";
  c.source = "runs/x/checkpoint.bin";
  EXPECT_NO_THROW(check_checkpoint_config(c, c.config));
  try {
    check_checkpoint_config(c, "seed: 1\ntrain: {epochs: 5, batch_size: 32}\n");
    FAIL() << "accepted a different configuration";
  } catch (const CheckpointError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("runs/x/checkpoint.bin"), std::string::npos) << message;
    EXPECT_NE(message.find("train.epochs is 3 before, 5 now"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace actlab
