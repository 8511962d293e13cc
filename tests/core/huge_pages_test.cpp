#include "actlab/core/huge_pages.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace actlab {
namespace {

std::uint8_t pattern(std::size_t i) {
  return static_cast<std::uint8_t>((i * 131) ^ (i >> 11));
}

// Advised before its first write, as the data set's pixels are, a buffer of several huge pages
// holds exactly what is written to it, at both ends and across every 2 MB boundary.
TEST(AdviseHugePages, ABufferAdvisedBeforeItsFirstWriteHoldsWhatIsWritten) {
  const std::size_t bytes = (std::size_t{9} << 20) + 12345;  // not a multiple of any page
  std::vector<std::uint8_t> buffer;
  buffer.reserve(bytes);
  advise_huge_pages(buffer.data(), bytes);
  buffer.resize(bytes);
  for (std::size_t i = 0; i < bytes; ++i)
    ASSERT_EQ(buffer[i], 0) << i;
  for (std::size_t i = 0; i < bytes; ++i)
    buffer[i] = pattern(i);
  for (std::size_t i = 0; i < bytes; ++i)
    ASSERT_EQ(buffer[i], pattern(i)) << i;
}

// Buffers too small to hold an aligned 2 MB page, an empty range and a null pointer are left as
// they are; so is a buffer advised after it was written.
TEST(AdviseHugePages, LeavesSmallEmptyAndWrittenBuffersAsTheyAre) {
  advise_huge_pages(nullptr, 0);
  advise_huge_pages(nullptr, std::size_t{4} << 20);
  std::vector<std::uint8_t> small(4096);
  for (std::size_t i = 0; i < small.size(); ++i)
    small[i] = pattern(i);
  advise_huge_pages(small.data(), small.size());
  advise_huge_pages(small.data() + 1, 0);
  for (std::size_t i = 0; i < small.size(); ++i)
    ASSERT_EQ(small[i], pattern(i)) << i;

  std::vector<std::uint8_t> written((std::size_t{5} << 20) + 7);
  for (std::size_t i = 0; i < written.size(); ++i)
    written[i] = pattern(i);
  advise_huge_pages(written.data(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i)
    ASSERT_EQ(written[i], pattern(i)) << i;
}

}  // namespace
}  // namespace actlab
