#pragma once
// The `data:` section: which data set, its splits and its normalisation (DataConfig, dataset.hpp).
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "actlab/config/field_rules.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/data/synthetic.hpp"

namespace actlab {

inline constexpr std::array<std::pair<std::string_view, Normalization>, 2> kNormalizations{{
    {"scale", Normalization::kScale},
    {"standardize", Normalization::kStandardize},
}};

// data.validation_size when the key is absent: it must leave training examples in every data set.
inline std::size_t default_validation_size(const std::string& dataset) {
  if (is_synthetic_dataset(dataset)) return 200;  // of the 1000 generated points by default
  if (dataset == "mnist-10k") return 1000;        // of its 8,000 training digits
  return DataConfig{}.validation_size;            // of Fashion-MNIST's 60,000 training images
}

template <>
struct SectionFields<DataConfig> {
  template <class C, class V>
  static void visit(C& c, V& v) {
    v("dataset", c.dataset, one_of(dataset_names, "dataset"));
    v("path", c.path,
      fails_if(
          [&c](const std::filesystem::path& path) { return c.dataset == "idx" && path.empty(); },
          "dataset 'idx' needs data.path: the folder holding the IDX files"));
    v("validation_size", c.validation_size, at_least(0),
      default_from([&c] { return default_validation_size(c.dataset); }));
    v("train_subset", c.train_subset, at_least(0));
    v("test_subset", c.test_subset, at_least(0));
    v("normalization", c.normalization, choice(kNormalizations));
    const auto generated = [&c] { return is_synthetic_dataset(c.dataset); };
    const std::string generated_only = "applies to the generated data sets (spiral, xor) only";
    v("points", c.points, at_least(2), only_when(generated, generated_only));
    v("noise", c.noise,
      must_be("between 0 and 1", [](double noise) { return noise >= 0 && noise <= 1; }),
      only_when(generated, generated_only));
  }
};

}  // namespace actlab
