#include "actlab/train/run_metrics.hpp"

#include <cmath>
#include <limits>
#include <set>

namespace actlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// JSON has no NaN: absent values are written as null.
nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

std::string_view run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kDiverged:
      return "diverged";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "?";
}

nlohmann::json EpochMetrics::to_json() const {
  nlohmann::json j;
  j["epoch"] = epoch;
  j["step"] = step;
  j["train_loss"] = number_or_null(train_loss);
  j["train_accuracy"] = number_or_null(train_accuracy);
  j["validation_loss"] = number_or_null(validation.loss);
  j["validation_accuracy"] = number_or_null(validation.accuracy);
  j["test_loss"] = number_or_null(test.loss);
  j["test_accuracy"] = number_or_null(test.accuracy);
  j["learning_rate"] = learning_rate;
  j["grad_norm_mean"] = number_or_null(grad_norm_mean);
  j["grad_norm_max"] = number_or_null(grad_norm_max);
  j["clipped_steps"] = clipped_steps;
  for (const auto& [name, value] : activation_parameters)
    j[name] = number_or_null(value);
  if (probes) {
    j["vanishing_ratio"] = number_or_null(probes->vanishing_ratio);
    j["grad_norm_slope"] = number_or_null(probes->grad_norm_slope);
    j["max_dead_fraction"] = number_or_null(probes->max_dead_fraction);
    j["mean_saturated_fraction"] = number_or_null(probes->mean_saturated_fraction);
    j["dead_fraction_by_layer"] = probes->dead_fraction_by_layer;
    j["grad_norm_by_layer"] = probes->grad_norm_by_layer;
  }
  j["seconds"] = seconds;
  j["samples_per_second"] = samples_per_second;
  return j;
}

namespace {

// A number of metrics.jsonl: null stands for NaN.
double number_from_json(const nlohmann::json& value) {
  return value.is_null() ? kNaN : value.get<double>();
}

std::vector<double> numbers_from_json(const nlohmann::json& values) {
  std::vector<double> out;
  for (const auto& value : values)
    out.push_back(number_from_json(value));
  return out;
}

}  // namespace

EpochMetrics EpochMetrics::from_json(const nlohmann::json& j) {
  static const std::set<std::string> known = {"epoch",
                                              "step",
                                              "train_loss",
                                              "train_accuracy",
                                              "validation_loss",
                                              "validation_accuracy",
                                              "test_loss",
                                              "test_accuracy",
                                              "learning_rate",
                                              "grad_norm_mean",
                                              "grad_norm_max",
                                              "clipped_steps",
                                              "vanishing_ratio",
                                              "grad_norm_slope",
                                              "max_dead_fraction",
                                              "mean_saturated_fraction",
                                              "dead_fraction_by_layer",
                                              "grad_norm_by_layer",
                                              "seconds",
                                              "samples_per_second"};
  auto number = [&](const char* key) { return number_from_json(j.at(key)); };
  EpochMetrics m;
  m.epoch = j.at("epoch").get<std::size_t>();
  m.step = j.at("step").get<std::size_t>();
  m.train_loss = number("train_loss");
  m.train_accuracy = number("train_accuracy");
  m.validation = {number("validation_loss"), number("validation_accuracy")};
  m.test = {number("test_loss"), number("test_accuracy")};
  m.learning_rate = number("learning_rate");
  m.grad_norm_mean = number("grad_norm_mean");
  m.grad_norm_max = number("grad_norm_max");
  m.clipped_steps = j.at("clipped_steps").get<std::size_t>();
  m.seconds = number("seconds");
  m.samples_per_second = number("samples_per_second");
  for (const auto& [key, value] : j.items())
    if (!known.count(key)) m.activation_parameters.emplace_back(key, number_from_json(value));
  if (j.contains("vanishing_ratio")) {
    ProbeEpochSummary p;
    p.vanishing_ratio = number("vanishing_ratio");
    p.grad_norm_slope = number("grad_norm_slope");
    p.max_dead_fraction = number("max_dead_fraction");
    p.mean_saturated_fraction = number("mean_saturated_fraction");
    p.dead_fraction_by_layer = numbers_from_json(j.at("dead_fraction_by_layer"));
    p.grad_norm_by_layer = numbers_from_json(j.at("grad_norm_by_layer"));
    m.probes = std::move(p);
  }
  return m;
}

nlohmann::json RunResult::summary() const {
  nlohmann::json j;
  j["status"] = std::string(run_status_name(status));
  j["epochs_completed"] = epochs.size();
  j["steps"] = steps;
  if (!message.empty()) j["message"] = message;
  j["seconds"] = seconds;
  if (initial) j["initial"] = initial->to_json();
  j["stopped_early"] = stopped_early;
  if (early_stopping)
    j["early_stopping"] = {{"best_epoch", early_stopping->best_epoch},
                           {"best_validation_loss", number_or_null(early_stopping->best_loss)}};
  if (target_accuracy) {
    j["target_accuracy"] = *target_accuracy;
    j["epoch_reached_target"] = nullptr;
    for (const auto& e : epochs)
      if (e.test.accuracy >= *target_accuracy) {
        j["epoch_reached_target"] = e.epoch;
        break;
      }
  }
  if (!epochs.empty()) {
    const EpochMetrics& last = epochs.back();
    j["final"] = last.to_json();
    double best = -1;
    std::size_t best_epoch = 0;
    for (const auto& e : epochs)
      if (std::isfinite(e.test.accuracy) && e.test.accuracy > best) {
        best = e.test.accuracy;
        best_epoch = e.epoch;
      }
    j["best_test_accuracy"] = number_or_null(best >= 0 ? best : kNaN);
    j["best_epoch"] = best_epoch;
    double samples = 0, train_seconds = 0;
    for (const auto& e : epochs) {
      samples += e.samples_per_second * e.seconds;
      train_seconds += e.seconds;
    }
    j["samples_per_second"] = train_seconds > 0 ? samples / train_seconds : 0.0;
  }
  return j;
}

}  // namespace actlab
