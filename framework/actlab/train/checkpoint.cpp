#include "actlab/train/checkpoint.hpp"

#include <zlib.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/atomic_file.hpp"
#include "actlab/core/error.hpp"

namespace actlab {
namespace {

// The format is little-endian; on such machines (x86-64, ARM64) a value's bytes are written as is.
static_assert(std::endian::native == std::endian::little, "checkpoint I/O assumes little-endian");

constexpr char kMagic[8] = {'A', 'C', 'T', 'L', 'A', 'B', 'C', 'K'};
constexpr std::size_t kHeaderSize = 32;

class Writer {
 public:
  template <typename T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void put_string(std::string_view s) {
    put<std::uint64_t>(s.size());
    bytes_.append(s);
  }
  template <typename T>
  void put_array(const std::vector<T>& values) {
    put<std::uint64_t>(values.size());
    bytes_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads the payload with a bounds check before every field: a malformed length can never read
// past the end or allocate more than the file holds.
class Reader {
 public:
  Reader(std::string_view bytes, const std::filesystem::path& source)
      : bytes_(bytes), source_(source) {}

  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string get_string(const char* what) {
    const auto n = get<std::uint64_t>(what);
    need(n, what);
    std::string s(bytes_.substr(at_, n));
    at_ += n;
    return s;
  }
  template <typename T>
  std::vector<T> get_array(const char* what) {
    const auto n = get<std::uint64_t>(what);
    if (n > (bytes_.size() - at_) / sizeof(T)) fail(what);
    std::vector<T> values(n);
    if (n > 0)
      std::memcpy(values.data(), bytes_.data() + at_, n * sizeof(T));  // data() may be null
    at_ += n * sizeof(T);
    return values;
  }
  void expect_end() const {
    if (at_ != bytes_.size())
      throw CheckpointError(source_.string() + ": malformed checkpoint: " +
                            std::to_string(bytes_.size() - at_) + " unexpected bytes at the end");
  }

 private:
  void need(std::uint64_t n, const char* what) const {
    if (n > bytes_.size() - at_) fail(what);
  }
  [[noreturn]] void fail(const char* what) const {
    throw CheckpointError(source_.string() + ": malformed checkpoint: " + what +
                          " runs past the end of the payload (byte " + std::to_string(at_) + ")");
  }

  std::string_view bytes_;
  const std::filesystem::path& source_;
  std::size_t at_ = 0;
};

}  // namespace

std::uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed large inputs in pieces.
  while (!bytes.empty()) {
    const std::size_t n = std::min<std::size_t>(bytes.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(crc);
}

std::string serialize_checkpoint(const Checkpoint& c) {
  Writer payload;
  payload.put_string(c.config);
  payload.put(c.epoch);
  payload.put(c.step);
  payload.put(c.elapsed_seconds);
  payload.put_array(c.parameters);
  payload.put(static_cast<std::uint32_t>(c.network_state.size()));
  for (const auto& [name, values] : c.network_state) {
    payload.put_string(name);
    payload.put_array(values);
  }
  payload.put(c.optimizer_steps);
  payload.put(static_cast<std::uint32_t>(c.optimizer_state.size()));
  for (const auto& [name, values] : c.optimizer_state) {
    payload.put_string(name);
    payload.put_array(values);
  }
  for (std::uint64_t word : c.layer_rng)
    payload.put(word);
  payload.put(c.early_stopping.best_loss);
  payload.put(static_cast<std::uint64_t>(c.early_stopping.best_epoch));
  payload.put(static_cast<std::uint64_t>(c.early_stopping.epochs_without_improvement));
  payload.put(c.probes_last_measured);
  payload.put(static_cast<std::uint32_t>(c.probes_dead_at_start.size()));
  for (const auto& mask : c.probes_dead_at_start)
    payload.put_array(mask);
  for (const FilePrefix& prefix : {c.metrics, c.probes}) {
    payload.put(prefix.bytes);
    payload.put(prefix.crc32);
  }

  Writer file;
  file.bytes().append(kMagic, sizeof(kMagic));
  file.put(kCheckpointVersion);
  file.put(static_cast<std::uint32_t>(kHeaderSize));
  file.put(static_cast<std::uint64_t>(payload.bytes().size()));
  file.put(crc32_of(payload.bytes()));
  file.put(std::uint32_t{0});
  file.bytes() += payload.bytes();
  return std::move(file.bytes());
}

Checkpoint deserialize_checkpoint(std::string_view bytes, const std::filesystem::path& source) {
  const std::string where = source.string() + ": ";
  if (bytes.size() < kHeaderSize)
    throw CheckpointError(where + "truncated checkpoint: " + std::to_string(bytes.size()) +
                          " bytes, shorter than the " + std::to_string(kHeaderSize) +
                          "-byte header");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    throw CheckpointError(where + "not an actlab checkpoint (wrong magic bytes)");
  Reader header(bytes.substr(sizeof(kMagic), kHeaderSize - sizeof(kMagic)), source);
  const auto version = header.get<std::uint32_t>("version");
  const auto header_size = header.get<std::uint32_t>("header size");
  const auto payload_size = header.get<std::uint64_t>("payload size");
  const auto stored_crc = header.get<std::uint32_t>("checksum");
  if (version != kCheckpointVersion)
    throw CheckpointError(where + "checkpoint format version " + std::to_string(version) +
                          "; this actlab reads version " + std::to_string(kCheckpointVersion));
  if (header_size != kHeaderSize)
    throw CheckpointError(where + "malformed checkpoint header (size " +
                          std::to_string(header_size) + ")");
  if (payload_size != bytes.size() - kHeaderSize)
    throw CheckpointError(where + "truncated or padded checkpoint: the header announces " +
                          std::to_string(payload_size) + " bytes of payload, the file holds " +
                          std::to_string(bytes.size() - kHeaderSize));
  const std::string_view payload = bytes.substr(kHeaderSize);
  const std::uint32_t crc = crc32_of(payload);
  if (crc != stored_crc) {
    std::ostringstream message;
    message << where << "corrupted checkpoint: CRC-32 of the payload is " << std::hex << crc
            << ", the header says " << stored_crc;
    throw CheckpointError(message.str());
  }

  Reader in(payload, source);
  Checkpoint c;
  c.source = source;
  c.config = in.get_string("configuration");
  c.epoch = in.get<std::uint64_t>("epoch");
  c.step = in.get<std::uint64_t>("step");
  c.elapsed_seconds = in.get<double>("elapsed seconds");
  c.parameters = in.get_array<float>("parameters");
  const auto states = in.get<std::uint32_t>("network state count");
  for (std::uint32_t i = 0; i < states; ++i) {
    std::string name = in.get_string("network state name");
    c.network_state.emplace_back(std::move(name), in.get_array<float>("network state"));
  }
  c.optimizer_steps = in.get<std::uint64_t>("optimizer steps");
  const auto buffers = in.get<std::uint32_t>("optimizer state count");
  for (std::uint32_t i = 0; i < buffers; ++i) {
    std::string name = in.get_string("optimizer state name");
    c.optimizer_state.emplace_back(std::move(name), in.get_array<float>("optimizer state"));
  }
  for (std::uint64_t& word : c.layer_rng)
    word = in.get<std::uint64_t>("random state");
  c.early_stopping.best_loss = in.get<double>("early stopping");
  c.early_stopping.best_epoch = in.get<std::uint64_t>("early stopping");
  c.early_stopping.epochs_without_improvement = in.get<std::uint64_t>("early stopping");
  c.probes_last_measured = in.get<std::uint64_t>("probe step");
  const auto masks = in.get<std::uint32_t>("probe layer count");
  for (std::uint32_t i = 0; i < masks; ++i)
    c.probes_dead_at_start.push_back(in.get_array<std::uint8_t>("probe mask"));
  for (FilePrefix* prefix : {&c.metrics, &c.probes}) {
    prefix->bytes = in.get<std::uint64_t>("file length");
    prefix->crc32 = in.get<std::uint32_t>("file checksum");
  }
  in.expect_end();
  return c;
}

void write_checkpoint(const std::filesystem::path& file, const Checkpoint& checkpoint) {
  write_file_atomic(file, serialize_checkpoint(checkpoint));
}

Checkpoint read_checkpoint(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CheckpointError(file.string() + ": cannot open the checkpoint");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw CheckpointError(file.string() + ": cannot read the checkpoint");
  return deserialize_checkpoint(bytes.str(), file);
}

void check_checkpoint_config(const Checkpoint& checkpoint, const std::string& fingerprint) {
  if (checkpoint.config == fingerprint) return;
  const std::string difference = config_difference(checkpoint.config, fingerprint);
  throw CheckpointError(checkpoint.source.string() +
                        ": the checkpoint was written for a different configuration" +
                        (difference.empty() ? "" : " (" + difference + ")") +
                        "; refusing to resume (use the original configuration, or delete the "
                        "run folder to start over)");
}

}  // namespace actlab
