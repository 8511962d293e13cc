#pragma once
// Transparent huge pages for buffers read at scattered places. A training batch gathers 128 rows
// from all over the training set (43 MB of Fashion-MNIST); with 4 KB pages nearly every row is a
// TLB miss, and in a virtual machine each miss is a two-level page walk that itself misses the
// caches; 2 MB pages make the gather markedly faster (BENCHMARKS.md, "Design decisions").
#include <cstddef>

namespace actlab {

// Asks the kernel to back the 2 MB-aligned pages inside [data, data + bytes) with huge pages
// (madvise MADV_HUGEPAGE, which Debian's default THP mode "madvise" honours). Call it before the
// pages are first written: pages already mapped stay as they are. Only a hint: where the kernel
// cannot, or the buffer is too small to hold an aligned 2 MB page, nothing changes.
void advise_huge_pages(void* data, std::size_t bytes);

}  // namespace actlab
