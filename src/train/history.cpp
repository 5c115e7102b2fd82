#include "nn/train/history.hpp"

#include <cmath>

#include "nn/error.hpp"

namespace nn::train {

bool EpochRecord::has_validation() const { return !std::isnan(val_loss); }

const std::vector<std::string>& History::metric_names() {
  static const std::vector<std::string> names{"train_loss", "train_accuracy", "val_loss",
                                              "val_accuracy", "lr", "seconds", "samples_per_second"};
  return names;
}

double History::value(const EpochRecord& r, std::string_view name) {
  if (name == "train_loss" || name == "loss") return r.train_loss;
  if (name == "train_accuracy" || name == "accuracy") return r.train_accuracy;
  if (name == "val_loss") return r.val_loss;
  if (name == "val_accuracy") return r.val_accuracy;
  if (name == "lr") return r.lr;
  if (name == "seconds") return r.seconds;
  if (name == "samples_per_second") return r.samples_per_second;
  std::string known;
  for (const auto& n : metric_names()) known += (known.empty() ? "" : ", ") + n;
  fail("History: unknown metric '", name, "', expected one of ", known);
}

std::vector<double> History::series(std::string_view name) const {
  std::vector<double> out;
  out.reserve(epochs.size());
  for (const auto& r : epochs) out.push_back(value(r, name));
  return out;
}

}  // namespace nn::train
