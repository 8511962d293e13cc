// libFuzzer target: the IDX reader must turn any byte string into either a data set or a
// DataError, never a crash, a leak, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <span>

#include "actlab/core/error.hpp"
#include "actlab/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    actlab::parse_idx_images(bytes, "fuzz-images");
  } catch (const actlab::DataError&) {
  }
  try {
    actlab::parse_idx_labels(bytes, "fuzz-labels");
  } catch (const actlab::DataError&) {
  }
  return 0;
}
