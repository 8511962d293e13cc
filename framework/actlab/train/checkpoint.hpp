#pragma once
// Everything a run needs to continue after an epoch exactly as if it had never stopped, and its
// binary file, checkpoint.bin, written atomically at every epoch end.
//
// Layout (all integers little-endian, floats IEEE-754; "string" = u64 length + bytes):
//   header, 32 bytes
//     0  char[8]  magic "ACTLABCK"
//     8  u32      format version (kCheckpointVersion)
//    12  u32      header size (32)
//    16  u64      payload size in bytes (the file is exactly header + payload)
//    24  u32      CRC-32 of the payload (zlib's crc32, the polynomial of gzip and PNG)
//    28  u32      reserved, 0
//   payload, in this order
//     string      training configuration it was written for (training_fingerprint)
//     u64 epoch, u64 step, f64 elapsed seconds
//     u64 n, f32[n]                       parameters: the network's flat buffer
//     u32 s, s × {string name, u64 n, f32[n]}   network state (Sequential::state_buffers():
//                                         batchnorm's running_mean, running_var; 0 without)
//     u64 optimizer steps
//     u32 k, k × {string name, u64 n, f32[n]}   optimizer state buffers (momentum_buffer; exp_avg,
//     ...) u64[4]                              layer RNG state (xoshiro256**: dropout, rrelu,
//     gumbel draws) f64 best loss, u64 best epoch, u64 epochs without improvement     early
//     stopping u64 last probed step (2^64-1: none) u32 h, h × {u64 units, u8[units]}   probes:
//     units dead at the first measurement, per hidden layer u64 bytes, u32 crc metrics.jsonl as of
//     this epoch: its length and CRC-32 u64 bytes, u32 crc                  probes.csv likewise (0,
//     0 without probes)
// The files themselves stay in the run folder; recording their length lets a resumed run cut them
// back to this epoch if a kill came between writing them and writing the checkpoint.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actlab/core/rng.hpp"
#include "actlab/train/early_stopping.hpp"

namespace actlab {

// 2: the network state (batchnorm's running statistics) after the parameters.
inline constexpr std::uint32_t kCheckpointVersion = 2;

// The length and CRC-32 of the first `bytes` of a file.
struct FilePrefix {
  std::uint64_t bytes = 0;
  std::uint32_t crc32 = 0;
  bool operator==(const FilePrefix&) const = default;
};

struct Checkpoint {
  std::string config;       // training_fingerprint of the run's configuration
  std::uint64_t epoch = 0;  // epochs completed
  std::uint64_t step = 0;   // optimizer steps taken
  double elapsed_seconds = 0;
  std::vector<float> parameters;
  std::vector<std::pair<std::string, std::vector<float>>> network_state;
  std::uint64_t optimizer_steps = 0;
  std::vector<std::pair<std::string, std::vector<float>>> optimizer_state;
  Rng::State layer_rng{};
  EarlyStopping::State early_stopping;
  std::uint64_t probes_last_measured = UINT64_MAX;
  std::vector<std::vector<std::uint8_t>> probes_dead_at_start;
  FilePrefix metrics, probes;

  std::filesystem::path source;  // the file it was read from, for messages; not stored
};

// CRC-32 as zlib computes it.
std::uint32_t crc32_of(std::string_view bytes);

std::string serialize_checkpoint(const Checkpoint& checkpoint);
// Throws CheckpointError naming `source` for a truncated, corrupted or unknown file.
Checkpoint deserialize_checkpoint(std::string_view bytes, const std::filesystem::path& source);

// Atomically (temp + rename); OutputError if it cannot be written.
void write_checkpoint(const std::filesystem::path& file, const Checkpoint& checkpoint);
// CheckpointError naming the file if it cannot be read or is not a valid checkpoint.
Checkpoint read_checkpoint(const std::filesystem::path& file);

// CheckpointError unless the checkpoint was written for `fingerprint` (training_fingerprint of the
// configuration about to resume); the message names the first key that differs.
void check_checkpoint_config(const Checkpoint& checkpoint, const std::string& fingerprint);

}  // namespace actlab
