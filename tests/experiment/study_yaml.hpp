#pragma once
// A study on the tiny fixture for the sweep tests: a 6-line base with `sweep` appended, so that the
// sweep block starts on line 7 and errors in it have known line numbers.
#include <string>

#include "support/golden.hpp"

namespace actlab::test {

inline std::string study_yaml(const std::string& sweep,
                              const std::string& model = "{hidden: [32, 32], activation: relu}") {
  return "name: demo\n"
         "seed: 1\n"
         "data: {dataset: idx, path: " +
         test_path("../data/fixtures/tiny") +
         ", validation_size: 100}\n"
         "model: " +
         model +
         "\n"
         "optimizer: {learning_rate: 0.05}\n"
         "train: {epochs: 2, batch_size: 32}\n" +
         sweep;
}

}  // namespace actlab::test
