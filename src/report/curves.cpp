#include "nn/report/curves.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/report/chart.hpp"

namespace nn::report {

namespace {

constexpr Rgb kTrain{0, 114, 178};    // Okabe-Ito blue
constexpr Rgb kValid{213, 94, 0};     // Okabe-Ito vermillion

std::vector<double> epochs_of(const train::History& h) {
  std::vector<double> x;
  for (const auto& r : h.epochs) x.push_back(static_cast<double>(r.epoch + 1));
  return x;
}

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double d) { return std::isfinite(d); });
}

std::string two_series(const train::History& h, const char* train_name, const char* val_name, const char* train_label,
                       const char* val_label, ChartOptions options) {
  std::vector<Series> series;
  Series t{train_label, epochs_of(h), h.series(train_name), kTrain, false, {}};
  series.push_back(std::move(t));
  std::vector<double> v = h.series(val_name);
  if (any_finite(v)) series.push_back(Series{val_label, epochs_of(h), std::move(v), kValid, true, {}});
  return line_chart_svg(series, options);
}

}  // namespace

std::string loss_chart_svg(const train::History& h, const std::string& title) {
  ChartOptions o;
  o.title = title;
  o.x_label = "Epoch";
  o.y_label = "Loss (mean per sample)";
  o.log_y = false;
  std::vector<Series> series;
  series.push_back(Series{"training", epochs_of(h), h.series("train_loss"), kTrain, false, {}});
  std::vector<double> v = h.series("val_loss");
  const bool has_val = any_finite(v);
  if (has_val) series.push_back(Series{"validation", epochs_of(h), v, kValid, true, {}});
  // The best epoch (lowest validation loss, else training loss) as a vertical grey line: where early
  // stopping with restored weights takes the model from.
  const std::vector<double> monitored = has_val ? v : h.series("train_loss");
  double lo = INFINITY, hi = -INFINITY, best_value = INFINITY;
  size_t best = monitored.size();
  for (const Series& s : series)
    for (double y : s.y)
      if (std::isfinite(y)) {
        lo = std::min(lo, y);
        hi = std::max(hi, y);
      }
  for (size_t i = 0; i < monitored.size(); ++i)
    if (std::isfinite(monitored[i]) && monitored[i] < best_value) {
      best_value = monitored[i];
      best = i;
    }
  if (h.size() >= 2 && best < monitored.size() && lo < hi) {
    const double x = static_cast<double>(h.epochs[best].epoch + 1);
    series.push_back(Series{"best: epoch " + std::to_string(h.epochs[best].epoch + 1), {x, x}, {lo, hi},
                            Rgb{120, 120, 120}, true, false});
  }
  return line_chart_svg(series, o);
}

std::string accuracy_chart_svg(const train::History& h, const std::string& title) {
  if (!any_finite(h.series("train_accuracy")) && !any_finite(h.series("val_accuracy"))) return "";
  ChartOptions o;
  o.title = title;
  o.x_label = "Epoch";
  o.y_label = "Accuracy (%)";
  o.y_floor = 0.0;
  o.y_ceil = 1.0;
  o.log_y = false;
  o.y_scale = 100.0;
  return two_series(h, "train_accuracy", "val_accuracy", "training", "validation", o);
}

std::string lr_chart_svg(const train::History& h, const std::string& title) {
  Series s{"", epochs_of(h), h.series("lr"), Rgb{0, 158, 115}, false, {}};
  ChartOptions o;
  o.title = title;
  o.x_label = "Epoch";
  o.y_label = "Learning rate";
  // Linear: a cosine schedule read on a log axis looks like a collapse at the end.
  o.log_y = false;
  // A constant rate: show it on an axis that starts at 0 so that it reads as flat, not as noise.
  const auto& y = s.y;
  if (!y.empty() && std::all_of(y.begin(), y.end(), [&](double v) { return v == y.front(); }) && y.front() > 0) {
    o.y_min = 0.0;
    o.y_max = y.front() * 1.25;
  }
  return line_chart_svg(std::span<const Series>(&s, 1), o);
}

std::string overlay_chart_svg(const std::vector<std::pair<std::string, train::History>>& runs,
                              const std::string& metric, const std::string& title, const std::string& y_label) {
  std::vector<Series> series;
  bool any = false;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<double> y = runs[i].second.series(metric);
    any = any || any_finite(y);
    series.push_back(Series{runs[i].first, epochs_of(runs[i].second), std::move(y), category_color(static_cast<int64_t>(i)),
                            false, {}});
  }
  if (!any) return "";
  ChartOptions o;
  o.title = title;
  o.x_label = "Epoch";
  o.y_label = y_label;
  o.log_y = false;
  if (metric.find("accuracy") != std::string::npos) {
    o.y_floor = 0.0;
    o.y_ceil = 1.0;
    o.y_scale = 100.0;
  }
  return line_chart_svg(series, o);
}

}  // namespace nn::report
