#include "summary.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace nn::cli {

namespace {

using json = nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
json path_or_null(const std::string& p) { return p.empty() ? json(nullptr) : json(p); }

}  // namespace

std::string train_summary_json(const TrainOptions& o, const train::History& history, const TrainSummary& summary) {
  json j;
  j["epochs"] = static_cast<int64_t>(history.epochs.size());
  j["epochs_asked"] = o.epochs;
  if (history.empty()) {
    j["last"] = nullptr;
    j["best_epoch"] = nullptr;
  } else {
    const auto& last = history.back();
    j["last"] = {{"epoch", last.epoch + 1},
                 {"train_loss", number(last.train_loss)},
                 {"train_accuracy", number(last.train_accuracy)},
                 {"val_loss", number(last.val_loss)},
                 {"val_accuracy", number(last.val_accuracy)},
                 {"lr", number(last.lr)}};
    const std::string monitor = last.has_validation() ? "val_loss" : "train_loss";
    int64_t best = -1;
    double best_value = 0.0;
    for (const auto& r : history.epochs) {
      const double v = train::History::value(r, monitor);
      if (!std::isnan(v) && (best < 0 || v < best_value)) {
        best = r.epoch;
        best_value = v;
      }
    }
    j["best_epoch"] = best < 0 ? json(nullptr) : json(best + 1);
    j["best_monitor"] = monitor;
  }
  j["stop_reason"] = history.stop_reason;
  j["interrupted"] = path_or_null(summary.interrupted);
  if (summary.test)
    j["test"] = {{"loss", number(summary.test->loss)},
                 {"accuracy", number(summary.test->accuracy)},
                 {"samples", summary.test->samples}};
  else
    j["test"] = nullptr;
  j["seconds"] = summary.seconds;
  j["model"] = path_or_null(o.save);
  j["metrics"] = path_or_null(o.metrics_out);
  j["report"] = path_or_null(o.report_dir);
  j["steps"] = summary.steps;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace nn::cli
