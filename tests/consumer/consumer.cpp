// Trains a 784-32-10 network (two linear layers) on an IDX data set through the installed actlab
// package, and prints the final test accuracy. The hidden activation is the consumer's own C++
// one, bent identity, registered under its name and then named in the YAML like a built-in.
// Usage: consumer IDX_FOLDER
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/error.hpp"
#include "actlab/data/dataset.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/elementwise_activation.hpp"
#include "actlab/train/trainer.hpp"

// The same shape as the built-ins in actlab/nn/activation_functions.hpp: name, formula and
// derivative as text, parameters, properties, f and f'.
struct BentIdentity {
  static constexpr std::string_view name = "bent_identity";
  static constexpr std::string_view formula = "(sqrt(x^2 + 1) - 1) / 2 + x";
  static constexpr std::string_view derivative = "x / (2 sqrt(x^2 + 1)) + 1";
  static constexpr std::array<actlab::ActivationParamSpec, 0> params{};
  static constexpr actlab::ActivationProperties properties{
      .output_range = "(-inf, inf)", .monotonic = true, .smooth = true, .zero_centred = true};
  template <typename T>
  static T f(T x, const actlab::ActivationParams<T>&) {
    return (std::sqrt(x * x + T{1}) - T{1}) / T{2} + x;
  }
  template <typename T>
  static T df(T x, T, const actlab::ActivationParams<T>&) {
    return x / (T{2} * std::sqrt(x * x + T{1})) + T{1};
  }
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s IDX_FOLDER\n", argv[0]);
    return 2;
  }
  std::ofstream("consumer.yaml") << "name: consumer\nseed: 1\nthreads: 1\n"
                                    "data: {dataset: idx, validation_size: 100}\n"
                                    "model: {hidden: [32], activation: bent_identity}\n"
                                    "optimizer: {learning_rate: 0.05, momentum: 0.9}\n"
                                    "train: {epochs: 3, batch_size: 32}\n";
  try {
    actlab::register_activation(actlab::elementwise_activation_info<BentIdentity>());
    const actlab::ExperimentConfig config =
        actlab::load_config("consumer.yaml", {"data.path=" + std::string(argv[1])});
    if (config.model.activation.name != "bent_identity") return 1;
    const actlab::DataSplits data = actlab::load_data(config.data, config.seed);
    actlab::Trainer trainer(config, data);
    if (trainer.network().layer(1).kind() != "bent_identity") return 1;
    const actlab::RunResult result = trainer.run();
    if (result.status != actlab::RunStatus::kCompleted || result.epochs.size() != 3) return 1;
    const double accuracy = result.epochs.back().test.accuracy;
    std::printf("bent_identity: test accuracy after %zu epochs: %.4f\n", result.epochs.size(),
                accuracy);
    return accuracy > 0.5 ? 0 : 1;  // chance is 0.1: a network that trained is well above it
  } catch (const actlab::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
