// load_data: the tiny fixture folder splits as configured, deterministically from the seed,
// standardisation uses the training split's statistics, and bad folders are typed errors.
#include "actlab/data/dataset.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "actlab/core/error.hpp"
#include "actlab/data/idx.hpp"
#include "data/idx_files.hpp"

namespace actlab {
namespace {

using test::fixture;

DataConfig tiny_config() {
  DataConfig config;
  config.dataset = "idx";
  config.path = fixture("tiny");
  config.validation_size = 100;
  return config;
}

// Each example as (label, pixels), sorted: equal multisets mean the same examples.
std::vector<std::pair<std::int32_t, std::string>> examples(const Dataset& data) {
  std::vector<std::pair<std::int32_t, std::string>> out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto* row = reinterpret_cast<const char*>(data.pixels.data() + i * data.features);
    out.emplace_back(data.labels[i], std::string(row, data.features));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The examples of a whole IDX pair, read directly.
std::vector<std::pair<std::int32_t, std::string>> file_examples(const std::string& prefix) {
  const IdxImages images = read_idx_images(fixture("tiny/" + prefix + "-images-idx3-ubyte.gz"));
  const auto labels = read_idx_labels(fixture("tiny/" + prefix + "-labels-idx1-ubyte.gz"));
  Dataset data;
  data.features = images.rows * images.cols;
  data.pixels = images.pixels;
  data.labels.assign(labels.begin(), labels.end());
  return examples(data);
}

bool same_examples(const Dataset& a, const Dataset& b) {
  return a.labels == b.labels && a.pixels == b.pixels;
}

TEST(LoadData, TinyFixtureSplitsAsConfigured) {
  const DataSplits splits = load_data(tiny_config(), 1);
  EXPECT_EQ(splits.train.size(), 500u);
  EXPECT_EQ(splits.validation.size(), 100u);
  EXPECT_EQ(splits.test.size(), 200u);
  for (const Dataset* d : {&splits.train, &splits.validation, &splits.test}) {
    EXPECT_EQ(d->features, 14u * 14u) << d->name;
    EXPECT_EQ(d->classes, 10u) << d->name;
    EXPECT_EQ(d->pixels.size(), d->size() * d->features) << d->name;
    for (const std::int32_t label : d->labels)
      ASSERT_TRUE(label >= 0 && label < 10) << d->name;
  }
  EXPECT_EQ(splits.train.name, "idx/train");
  EXPECT_EQ(splits.validation.name, "idx/validation");
  EXPECT_EQ(splits.test.name, "idx/test");
  EXPECT_FLOAT_EQ(splits.normalizer.scale, 1.0f / 255.0f);
  EXPECT_EQ(splits.normalizer.shift, 0.0f);
  EXPECT_EQ(examples(splits.test), file_examples("t10k"));
}

TEST(LoadData, TrainAndValidationPartitionTheTrainingFile) {
  const DataSplits splits = load_data(tiny_config(), 1);
  auto both = examples(splits.train);
  const auto validation = examples(splits.validation);
  both.insert(both.end(), validation.begin(), validation.end());
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, file_examples("train"));  // every training example exactly once
}

TEST(LoadData, SplitIsDeterministicInTheSeed) {
  const DataSplits a = load_data(tiny_config(), 1);
  const DataSplits b = load_data(tiny_config(), 1);
  const DataSplits c = load_data(tiny_config(), 2);
  EXPECT_TRUE(same_examples(a.train, b.train));
  EXPECT_TRUE(same_examples(a.validation, b.validation));
  EXPECT_FALSE(same_examples(a.validation, c.validation));
  EXPECT_FALSE(same_examples(a.train, c.train));
  EXPECT_TRUE(same_examples(a.test, c.test));  // the test set never depends on the seed
}

TEST(LoadData, SubsetsAreDrawnWithoutOverlap) {
  DataConfig config = tiny_config();
  config.train_subset = 300;
  config.test_subset = 50;
  const DataSplits splits = load_data(config, 3);
  EXPECT_EQ(splits.train.size(), 300u);
  EXPECT_EQ(splits.validation.size(), 100u);
  EXPECT_EQ(splits.test.size(), 50u);
  auto used = examples(splits.train);
  const auto validation = examples(splits.validation);
  used.insert(used.end(), validation.begin(), validation.end());
  std::sort(used.begin(), used.end());
  const auto all = file_examples("train");
  EXPECT_TRUE(std::includes(all.begin(), all.end(), used.begin(), used.end()));
  const auto test = examples(splits.test);
  const auto all_test = file_examples("t10k");
  EXPECT_TRUE(std::includes(all_test.begin(), all_test.end(), test.begin(), test.end()));
  // The test subset is the same whatever the seed.
  EXPECT_TRUE(same_examples(splits.test, load_data(config, 4).test));
}

TEST(LoadData, NoValidationKeepsEveryTrainingExample) {
  DataConfig config = tiny_config();
  config.validation_size = 0;
  const DataSplits splits = load_data(config, 1);
  EXPECT_EQ(splits.validation.size(), 0u);
  EXPECT_EQ(examples(splits.train), file_examples("train"));
}

TEST(LoadData, StandardisationUsesTrainingStatistics) {
  DataConfig config = tiny_config();
  config.normalization = Normalization::kStandardize;
  const DataSplits splits = load_data(config, 1);
  // Direct two-pass computation over the training split in double.
  const auto& pixels = splits.train.pixels;
  double mean = 0;
  for (const auto v : pixels)
    mean += v / 255.0;
  mean /= static_cast<double>(pixels.size());
  double variance = 0;
  for (const auto v : pixels)
    variance += (v / 255.0 - mean) * (v / 255.0 - mean);
  const double std_dev = std::sqrt(variance / static_cast<double>(pixels.size()));
  EXPECT_NEAR(splits.normalizer.scale, 1.0 / (255.0 * std_dev), 1e-6 / (255.0 * std_dev));
  EXPECT_NEAR(splits.normalizer.shift, -mean / std_dev, 1e-6 * mean / std_dev);

  // Normalised training pixels have mean 0 and standard deviation 1 (up to float rounding of the
  // two constants) ...
  double sum = 0, sum_squares = 0;
  for (const auto v : pixels) {
    const double x = v * double{splits.normalizer.scale} + double{splits.normalizer.shift};
    sum += x;
    sum_squares += x * x;
  }
  const auto n = static_cast<double>(pixels.size());
  EXPECT_NEAR(sum / n, 0.0, 1e-5);
  EXPECT_NEAR(std::sqrt(sum_squares / n - (sum / n) * (sum / n)), 1.0, 1e-5);

  // ... and the statistics are not those of the whole training file, which includes the
  // validation examples (their mean differs by far more than the float rounding).
  DataConfig everything = config;
  everything.validation_size = 0;
  const Normalizer whole = load_data(everything, 1).normalizer;
  EXPECT_GT(std::abs(whole.shift - splits.normalizer.shift), 1e-4f);
}

TEST(LoadData, PrefersTheRawFileWhenBothExist) {
  const test::TempFolder folder;
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    std::filesystem::copy_file(fixture("tiny") / name, folder / name);
  // A raw training image file beside the .gz one: 600 images, every pixel 7.
  test::write_file(folder / "train-images-idx3-ubyte",
                   test::idx_bytes(0x08, {600, 14, 14}, test::Bytes(600 * 14 * 14, 7)));
  DataConfig config = tiny_config();
  config.path = folder.path();
  const DataSplits splits = load_data(config, 1);
  EXPECT_TRUE(std::all_of(splits.train.pixels.begin(), splits.train.pixels.end(),
                          [](std::uint8_t v) { return v == 7; }));
  // Constant pixels cannot be standardised.
  config.normalization = Normalization::kStandardize;
  EXPECT_THROW(load_data(config, 1), DataError);
}

// The message of the error `load_data(config, 1)` throws, which must be of type E.
template <typename E>
std::string error_message(const DataConfig& config) {
  try {
    load_data(config, 1);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error of the expected type";
  return "";
}

void expect_contains(const std::string& message, const std::vector<std::string>& parts) {
  for (const auto& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << message << "\nlacks: " << part;
}

DataConfig corrupt_folder(const std::string& name) {
  DataConfig config;
  config.dataset = "idx";
  config.path = fixture("corrupt/" + name);
  config.validation_size = 0;
  return config;
}

TEST(LoadData, CountMismatchNamesBothFiles) {
  expect_contains(error_message<DataError>(corrupt_folder("count-mismatch")),
                  {"count-mismatch/train-labels-idx1-ubyte: holds 19 labels but",
                   "count-mismatch/train-images-idx3-ubyte holds 20 images"});
}

TEST(LoadData, OutOfRangeLabelNamesTheFirstOne) {
  expect_contains(
      error_message<DataError>(corrupt_folder("label-out-of-range")),
      {"label-out-of-range/train-labels-idx1-ubyte: label 12 at index 7", "10 classes"});
}

TEST(LoadData, TrainAndTestImagesMustHaveOneSize) {
  expect_contains(
      error_message<DataError>(corrupt_folder("image-size-mismatch")),
      {"image-size-mismatch/t10k-images-idx3-ubyte: images are 5×4", "training images", "are 4×4"});
}

TEST(LoadData, MissingFolderOrFile) {
  expect_contains(error_message<DataError>(corrupt_folder("no-such-folder")),
                  {"no-such-folder: no such folder"});
  // corrupt/ itself has none of the four files.
  expect_contains(error_message<DataError>(corrupt_folder("")),
                  {"missing train-images-idx3-ubyte (raw or .gz)"});
}

TEST(LoadData, DamagedFilesPropagateTheReadersError) {
  const test::TempFolder folder;
  for (const char* name :
       {"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    std::filesystem::copy_file(fixture("tiny") / name, folder / name);
  std::filesystem::copy_file(fixture("corrupt/truncated-gz-idx3-ubyte.gz"),
                             folder / "train-images-idx3-ubyte.gz");
  DataConfig config = tiny_config();
  config.path = folder.path();
  expect_contains(error_message<DataError>(config), {"train-images-idx3-ubyte.gz: corrupt .gz"});
}

TEST(LoadData, ConfigurationErrors) {
  DataConfig config = tiny_config();
  config.dataset = "fashion-mnst";
  expect_contains(error_message<ConfigError>(config),
                  {"unknown dataset 'fashion-mnst'", "did you mean 'fashion-mnist'"});

  config = tiny_config();
  config.path.clear();
  expect_contains(error_message<ConfigError>(config), {"'idx' needs a path"});

  config = tiny_config();
  config.validation_size = 600;
  expect_contains(error_message<ConfigError>(config),
                  {"validation_size 600 leaves no training examples"});

  config = tiny_config();
  config.train_subset = 501;
  expect_contains(error_message<ConfigError>(config),
                  {"train_subset 501 exceeds the 500 training examples"});

  config = tiny_config();
  config.test_subset = 201;
  expect_contains(error_message<ConfigError>(config), {"test_subset 201 exceeds the 200"});
}

TEST(LoadData, FashionMnist) {
  if (!std::filesystem::exists(kFashionMnistFolder))
    GTEST_SKIP() << kFashionMnistFolder << " is absent";
  DataConfig config;  // the defaults: dataset "fashion-mnist", its default folder
  config.validation_size = 0;
  config.normalization = Normalization::kStandardize;
  const DataSplits splits = load_data(config, 0);
  EXPECT_EQ(splits.train.size(), 60000u);
  EXPECT_EQ(splits.test.size(), 10000u);
  EXPECT_EQ(splits.train.features, 28u * 28u);
  EXPECT_EQ(splits.train.classes, 10u);
  // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
  std::vector<int> train_counts(10), test_counts(10);
  for (const auto label : splits.train.labels)
    ++train_counts[label];
  for (const auto label : splits.test.labels)
    ++test_counts[label];
  EXPECT_EQ(train_counts, std::vector<int>(10, 6000));
  EXPECT_EQ(test_counts, std::vector<int>(10, 1000));
  // The statistics torchvision users quote: Normalize((0.2860,), (0.3530,)).
  const double std_dev = 1.0 / (255.0 * splits.normalizer.scale);
  const double mean = -splits.normalizer.shift * std_dev;
  EXPECT_NEAR(mean, 0.2860, 5e-4);
  EXPECT_NEAR(std_dev, 0.3530, 5e-4);
}

}  // namespace
}  // namespace actlab
