#pragma once
// The `output:` section: where a run writes its files.
#include <filesystem>

#include "actlab/config/field_rules.hpp"

namespace actlab {

struct OutputConfig {
  std::filesystem::path dir = "runs";  // a run writes to <dir>/<name>/ unless --out is given

  bool operator==(const OutputConfig&) const = default;
};

template <>
struct SectionFields<OutputConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("dir", c.dir);
  }
};

}  // namespace actlab
