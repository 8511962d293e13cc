#pragma once
// What a trained two-class model on a generated 2-d data set (synthetic.hpp) decides, as tables the
// report draws (experiments/report/report.py), both written at the end of such a run:
//   decision_grid.csv  x,y,probability: p(class 1) at the centres of a resolution × resolution grid
//                      over the encoded range [-1.5, 1.5]², x varying fastest
//   points.csv         split,x,y,label: every training and test point, decoded coordinates
#include <cstddef>
#include <string>

#include "actlab/data/dataset.hpp"
#include "actlab/nn/sequential.hpp"

namespace actlab {

// Runs the network (evaluation mode) on the grid in chunks of at most `chunk` rows (it must have
// been planned for that many). The network input of coordinate c is the value the Normalizer gives
// the byte level (c - low)/step, so the grid sees exactly what the training points saw.
std::string decision_grid_csv(Sequential<float>& network, const Normalizer& normalizer,
                              std::size_t resolution, std::size_t chunk);

std::string points_csv(const Dataset& train, const Dataset& test);

}  // namespace actlab
