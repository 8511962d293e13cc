// `actlab probe-init` on what the initialisation studies of configs/papers/ need: the count of
// networks with an entirely dead hidden layer, and study files (one folder per cell).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

namespace fs = std::filesystem;

fs::path write_config(const fs::path& dir, const std::string& extra) {
  fs::create_directories(dir);
  std::ofstream(dir / "c.yaml") << "name: tiny\nseed: 1\nthreads: 1\ndata: {dataset: idx, path: "
                                << test::test_path("../data/fixtures/tiny")
                                << ", validation_size: 0, test_subset: 20}\n"
                                   "train: {batch_size: 16}\nprobes: {probe_set_size: 16}\n"
                                << extra;
  return dir / "c.yaml";
}

nlohmann::json dead_layer_networks(const fs::path& out) {
  return nlohmann::json::parse(test::read_file(out / "summary.json")).at("dead_layer_networks");
}

// Known answers: a bias of -100 puts every ReLU pre-activation below 0 (the weights of a 196-input
// He network are far too small to reach it), so every network has dead layers; tanh has no dead
// zone, so none has.
TEST(ProbeInit, CountsNetworksWithAnEntirelyDeadHiddenLayer) {
  const fs::path dir = fs::temp_directory_path() / "actlab_probe_init_dead";
  fs::remove_all(dir);
  const fs::path config =
      write_config(dir, "model: {hidden: [8, 8], activation: relu, bias_init: -100}\n");
  const test::Outcome relu =
      test::run({"probe-init", config.string(), "--seeds", "3", "--out", (dir / "relu").string()},
                dir, "relu");
  ASSERT_EQ(relu.exit_code, 0) << relu.log;
  EXPECT_EQ(dead_layer_networks(dir / "relu").at("count"), 3);
  EXPECT_EQ(dead_layer_networks(dir / "relu").at("fraction"), 1.0);
  EXPECT_NE(relu.output.find("networks with an entirely dead hidden layer: 3 of 3"),
            std::string::npos)
      << relu.output;

  const test::Outcome tanh = test::run({"probe-init", config.string(), "--seeds", "3", "--out",
                                        (dir / "tanh").string(), "--set", "model.activation=tanh"},
                                       dir, "tanh");
  ASSERT_EQ(tanh.exit_code, 0) << tanh.log;
  EXPECT_EQ(dead_layer_networks(dir / "tanh").at("count"), 0);
  EXPECT_EQ(dead_layer_networks(dir / "tanh").at("standard_error"), 0.0);
}

TEST(ProbeInit, ProbesEveryCellOfAStudyInItsOwnFolder) {
  const fs::path dir = fs::temp_directory_path() / "actlab_probe_init_study";
  fs::remove_all(dir);
  const fs::path config = write_config(
      dir,
      "model: {hidden: [8]}\nsweep:\n  model.activation: [relu, tanh]\n  model.depth: [1, 2]\n");
  const test::Outcome outcome = test::run(
      {"probe-init", config.string(), "--seeds", "2", "--out", (dir / "out").string()}, dir);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.log;
  for (const char* cell : {"activation=relu,depth=1", "activation=relu,depth=2",
                           "activation=tanh,depth=1", "activation=tanh,depth=2"}) {
    EXPECT_NE(outcome.output.find(std::string("== ") + cell), std::string::npos) << cell;
    const auto summary =
        nlohmann::json::parse(test::read_file(dir / "out" / cell / "summary.json"));
    EXPECT_EQ(summary.at("networks").size(), 2u) << cell;
  }
  // The cells differ: two hidden layers leave rows for layer 3 (the output), one does not.
  EXPECT_NE(test::read_file(dir / "out" / "activation=tanh,depth=2" / "probe_init.csv")
                .find(",0,0,3,grad_norm_weight,"),
            std::string::npos);
  EXPECT_EQ(test::read_file(dir / "out" / "activation=tanh,depth=1" / "probe_init.csv")
                .find(",0,0,3,grad_norm_weight,"),
            std::string::npos);
}

TEST(ProbeInit, RefusesAStudyThatSweepsTheSeed) {
  const fs::path dir = fs::temp_directory_path() / "actlab_probe_init_seed_sweep";
  fs::remove_all(dir);
  const fs::path config = write_config(dir, "model: {hidden: [8]}\nsweep:\n  seed: [1, 2]\n");
  const test::Outcome outcome = test::run(
      {"probe-init", config.string(), "--seeds", "2", "--out", (dir / "out").string()}, dir);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_NE(outcome.log.find("sweep.seed"), std::string::npos) << outcome.log;
}

}  // namespace
}  // namespace actlab
