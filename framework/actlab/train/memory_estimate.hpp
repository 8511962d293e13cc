#pragma once
// How much memory a run will hold, computed from its resolved configuration and the shape of its
// data before anything large is allocated, so that a run that cannot fit is refused with the keys
// that drive it instead of dying with std::bad_alloc part-way. It follows the buffers the trainer
// plans (trainer.hpp): parameters, gradients and optimizer state; every layer's outputs and
// gradients for the largest batch the network sees; the batches; the data set; the probes'
// scratch; and the checkpoint's copy. It leaves out the program itself (code, libraries, OpenBLAS's
// buffers, thread stacks): a fixed amount independent of the configuration.
#include <cstddef>
#include <string>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/data/dataset.hpp"

namespace actlab {

// What of the data the estimate needs: the examples held in memory and the network's two ends.
struct DataShape {
  std::size_t train_examples = 0;
  std::size_t held_examples = 0;  // train + validation + test, all held for the whole run
  std::size_t features = 0;
  std::size_t classes = 0;
};
DataShape data_shape(const DataSplits& data);

struct MemoryPart {
  std::string what;  // "parameters", "layer outputs and gradients (2048 rows)", ...
  std::size_t bytes = 0;
};

struct MemoryEstimate {
  std::vector<MemoryPart> parts;
  std::size_t parameters = 0;  // the network's parameter count
  std::size_t total() const;
  // One line per part, then the total, each as "  what: 12.3 MiB".
  std::string breakdown() const;
};

// The estimate for `config` on data of `shape`, trained by `threads` threads.
MemoryEstimate estimate_run_memory(const ExperimentConfig& config, const DataShape& shape,
                                   int threads);

// The configuration's keys that drive the estimate, with their values: "model.hidden [256, 256],
// train.batch_size 128, train.eval_batch_size 2048, probes.probe_set_size 1024".
std::string memory_keys(const ExperimentConfig& config);

// "512 B", "12.3 MiB", "4.0 GiB", "3.6 TiB".
std::string format_bytes(double bytes);

}  // namespace actlab
