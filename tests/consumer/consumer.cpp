// Trains a 784-32-10 network (two linear layers) on an IDX data set through the installed actlab
// package, and prints the final test accuracy. Usage: consumer IDX_FOLDER
#include <cstdio>
#include <fstream>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/error.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/train/trainer.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s IDX_FOLDER\n", argv[0]);
    return 2;
  }
  std::ofstream("consumer.yaml") << "name: consumer\nseed: 1\nthreads: 1\n"
                                    "data: {dataset: idx, validation_size: 100}\n"
                                    "model: {hidden: [32]}\n"
                                    "optimizer: {learning_rate: 0.05, momentum: 0.9}\n"
                                    "train: {epochs: 3, batch_size: 32}\n";
  try {
    const actlab::ExperimentConfig config =
        actlab::load_config("consumer.yaml", {"data.path=" + std::string(argv[1])});
    const actlab::DataSplits data = actlab::load_data(config.data, config.seed);
    actlab::Trainer trainer(config, data);
    const actlab::RunResult result = trainer.run();
    if (result.status != actlab::RunStatus::kCompleted || result.epochs.size() != 3) return 1;
    const double accuracy = result.epochs.back().test.accuracy;
    std::printf("test accuracy after %zu epochs: %.4f\n", result.epochs.size(), accuracy);
    return accuracy > 0.5 ? 0 : 1;  // chance is 0.1: a network that trained is well above it
  } catch (const actlab::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
