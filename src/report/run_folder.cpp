#include "nn/report/run_folder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <span>
#include <utility>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/json.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/report/chart.hpp"
#include "nn/report/decision_regions.hpp"
#include "nn/report/image_grid.hpp"
#include "nn/report/metrics_file.hpp"
#include "nn/train/metrics.hpp"
#include "nn/train/predict.hpp"
#include "nn/train/progress.hpp"
#include "nn/train/trainer.hpp"

namespace nn::report {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string pct(double v) { return std::isfinite(v) ? fmt("%.2f%%", 100.0 * v) : std::string("n/a"); }
std::string val4(double v) { return std::isfinite(v) ? fmt("%.4f", v) : std::string("n/a"); }

// A setting as the report shows it: "-" for null or an empty string.
std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? std::string("-") : v.get<std::string>();
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The order in which the report lists the settings; any others follow by name.
const char* const kSettingsOrder[] = {"data",     "data_dir",  "label_column", "model",     "init",
                                      "loss",     "scale",     "epochs",       "batch_size", "optimizer",
                                      "lr",       "momentum",  "nesterov",     "weight_decay", "clip_grad_norm", "scheduler",
                                      "val_split", "stratify", "patience",     "seed",      "threads"};

// The decision-region classifier: raw 2-D points -> scaled as in training -> the model's classes.
Classifier grid_classifier(Module& model, const Shape& input_shape, const data::Scaler& scaler, float threshold) {
  auto x = std::make_shared<Tensor>();
  auto y = std::make_shared<Tensor>();
  return [&model, &input_shape, &scaler, threshold, x, y](const Tensor& points, std::span<int32_t> out) {
    x->resize(input_shape.batched(points.dim(0)));
    std::copy_n(points.data(), points.numel(), x->data());
    scaler.transform(*x);
    train::predict(model, *x, *y, x->dim(0));
    train::predict_classes(*y, out, threshold);
  };
}

}  // namespace

// ---- run.json ----------------------------------------------------------------------------------------

json RunInfo::to_json() const {
  return {{"format", kRunFormat},
          {"format_version", kRunFormatVersion},
          {"nn_version", nn_version},
          {"finished", finished},
          {"settings", settings},
          {"data_description", data_description},
          {"images", images},
          {"train_samples", train_samples},
          {"val_samples", val_samples},
          {"parameters", parameters},
          {"stop_reason", stop_reason},
          {"timing", {{"train_seconds", train_seconds}, {"epochs_run", epochs_run}}}};
}

RunInfo RunInfo::from_json(const json& j, std::string_view what) {
  NN_CHECK(j.is_object(), what, ": expected a JSON object, found ", j.type_name());
  NN_CHECK(j.value("format", "") == kRunFormat && j.value("format_version", 0) == kRunFormatVersion, what,
           ": expected format \"", kRunFormat, "\" version ", kRunFormatVersion, ", found \"", j.value("format", ""),
           "\" version ", j.value("format_version", 0));
  RunInfo r;
  try {
    r.nn_version = j.value("nn_version", "?");
    r.finished = j.value("finished", "?");
    r.settings = j.value("settings", json::object());
    r.data_description = j.value("data_description", "");
    r.images = j.value("images", false);
    r.train_samples = j.value("train_samples", int64_t{0});
    r.val_samples = j.value("val_samples", int64_t{0});
    r.parameters = j.value("parameters", int64_t{0});
    r.stop_reason = j.value("stop_reason", "");
    const json timing = j.value("timing", json::object());
    r.train_seconds = timing.value("train_seconds", 0.0);
    r.epochs_run = timing.value("epochs_run", int64_t{0});
  } catch (const json::exception& e) {
    fail(what, ": a field has the wrong type: ", e.what());
  }
  NN_CHECK(r.settings->is_object(), what, ": field 'settings': expected an object, found ", r.settings->type_name());
  return r;
}

// ---- the folder --------------------------------------------------------------------------------------

namespace {

std::string steps_text(const std::vector<std::pair<int64_t, double>>& steps) {
  std::string text;
  char line[64];
  for (const auto& [step, loss] : steps) {
    const int n = std::snprintf(line, sizeof line, "%lld %.9g\n", static_cast<long long>(step), loss);
    text.append(line, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

std::vector<std::pair<int64_t, double>> read_steps(const fs::path& path) {
  const std::string text = io::read_file(path, io::kMaxTextFileBytes, path.string());
  std::vector<std::pair<int64_t, double>> steps;
  size_t begin = 0, number = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    ++number;
    begin = end + 1;
    if (line.empty()) continue;
    long long step = 0;
    double loss = 0.0;
    int used = 0;
    NN_CHECK(std::sscanf(line.c_str(), "%lld %lf%n", &step, &loss, &used) == 2 &&
                 static_cast<size_t>(used) == line.size() && step > 0,
             path.string(), ":", number, ": expected 'STEP LOSS' (a step >= 1 and a number), found '",
             line.substr(0, 40), "'");
    steps.emplace_back(step, loss);
  }
  return steps;
}

void RunFolder::write(const fs::path& dir) const {
  NN_CHECK(model != nullptr, dir.string(), ": a run folder needs its model");
  std::error_code ec;
  fs::create_directories(dir, ec);
  NN_CHECK(!ec && fs::is_directory(dir), dir.string(), ": cannot create the report folder (", ec.message(), ")");
  io::SaveOptions so;
  const auto dims = input_shape.dims();
  so.input_shape.assign(dims.begin(), dims.end());
  so.metadata = model_metadata;
  io::save_with_scaler(*model, scaler, dir / "model.safetensors", std::move(so));
  io::write_file_atomic(dir / "metrics.jsonl", metrics_jsonl(history));
  if (!steps.empty()) io::write_file_atomic(dir / "steps.txt", steps_text(steps));
  io::write_file_atomic(dir / "run.json", info.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

RunFolder RunFolder::read(const fs::path& dir) {
  const fs::path run_json = dir / "run.json";
  std::error_code ec;
  NN_CHECK(fs::exists(run_json, ec), run_json.string(), ": cannot open (a run folder is written by nn train --report DIR)");
  const json j = io::parse_json(io::read_file(run_json, io::kMaxTextFileBytes, run_json.string()), run_json.string());
  RunFolder r;
  r.info = RunInfo::from_json(j, run_json.string());
  r.history = read_metrics_jsonl(dir / "metrics.jsonl");
  r.history.stop_reason = r.info.stop_reason;
  io::ScaledModel m = io::load_with_scaler(dir / "model.safetensors");
  r.model = std::move(m.model.model);
  r.input_shape = m.model.input_shape;
  r.scaler = std::move(m.scaler);
  r.model_metadata = std::move(m.model.metadata);
  if (fs::exists(dir / "steps.txt", ec)) r.steps = read_steps(dir / "steps.txt");
  return r;
}

// ---- the report --------------------------------------------------------------------------------------

namespace {

// The epoch of the lowest validation loss (training loss without validation); -1 when none is finite.
int64_t best_epoch(const train::History& h) {
  int64_t best = -1;
  double value = 0.0;
  for (const auto& r : h.epochs) {
    const double v = r.has_validation() ? r.val_loss : r.train_loss;
    if (std::isfinite(v) && (best < 0 || v < value)) {
      best = r.epoch;
      value = v;
    }
  }
  return best;
}

}  // namespace

ReportContent RunFolder::report_content(const ReportData& data) {
  NN_CHECK(model != nullptr, "run report: the run has no model");
  ReportContent c;
  c.history = history;
  c.history.stop_reason = info.stop_reason;
  c.subtitle = info.data_description + " \u2014 " + info.settings->value("model", "") + " (" +
               std::to_string(info.parameters) + " parameters)";
  const auto& h = c.history;
  if (!h.empty()) {
    const auto& last = h.back();
    c.summary.emplace_back("epochs run", std::to_string(h.size()) +
                                             (h.stop_reason.empty() ? "" : " (stopped early: " + h.stop_reason + ")"));
    c.summary.emplace_back("final training loss", val4(last.train_loss));
    if (std::isfinite(last.train_accuracy)) c.summary.emplace_back("final training accuracy", pct(last.train_accuracy));
    // Judged on the validation split, its figures come once, in "... on the validation split" below.
    const bool judged_on_val = data.judged != nullptr && data.judged->is_classification() &&
                               data.judged_on.starts_with("validation");
    if (last.has_validation() && !judged_on_val) {
      c.summary.emplace_back("final validation loss", val4(last.val_loss));
      if (std::isfinite(last.val_accuracy)) c.summary.emplace_back("final validation accuracy", pct(last.val_accuracy));
    }
    const std::vector<double> lr = h.series("lr");
    const bool constant = std::all_of(lr.begin(), lr.end(), [&](double v) { return v == lr.front(); });
    c.summary.emplace_back("learning rate", constant ? fmt("%g", lr.front()) + " (constant)"
                                                     : fmt("%g", lr.front()) + " to " + fmt("%g", lr.back()) +
                                                           " (see the schedule)");
    if (const auto best = best_epoch(h); best >= 0)
      c.summary.emplace_back("best epoch", std::to_string(best + 1) + " (lowest " +
                                               (last.has_validation() ? "validation" : "training") + " loss " +
                                               val4(last.has_validation() ? h.epochs[static_cast<size_t>(best)].val_loss
                                                                          : h.epochs[static_cast<size_t>(best)].train_loss) +
                                               ")");
  }

  if (!steps.empty()) {
    // At most 2000 points: means of consecutive steps beyond that (a 15-epoch run has 14,000 steps).
    const size_t group = (steps.size() + 1999) / 2000;
    Series s{"training batch loss", {}, {}, Rgb{0, 114, 178}, false, false};
    for (size_t i = 0; i < steps.size(); i += group) {
      double sum = 0.0, x = 0.0;
      const size_t end = std::min(steps.size(), i + group);
      for (size_t k = i; k < end; ++k) sum += steps[k].second;
      x = static_cast<double>(steps[end - 1].first);
      s.x.push_back(x);
      s.y.push_back(sum / static_cast<double>(end - i));
    }
    ChartOptions o;
    o.title = "Loss per step";
    o.x_label = "Optimizer step";
    o.y_label = "Loss (batch mean)";
    o.log_y = false;
    c.extra.push_back({"loss_steps", "Loss per step", line_chart_svg(std::span<const Series>(&s, 1), o), std::nullopt,
                       group > 1 ? "The mean batch loss of every " + std::to_string(group) + " optimizer steps."
                                 : "The loss of every optimizer step's batch."});
  }

  // Layer by layer: each child's output shape for one sample (Module::build, nothing runs) and
  // its parameters.
  c.input_shape = input_shape.str();
  Shape shape = input_shape;
  for (const auto& [name, child] : model->children()) {
    shape = child->build(shape);
    int64_t params = 0;
    for (const Parameter* p : std::as_const(*child).parameters()) params += p->data.numel();
    std::string layer = child->repr();
    if (const auto nl = layer.find('\n'); nl != std::string::npos) layer = layer.substr(0, nl) + " ...";
    c.layers.push_back({name, layer, shape.str(), params});
  }

  const data::Dataset* judged = data.judged;
  if (judged && judged->is_classification()) {
    NN_CHECK(data.loss != nullptr, "run report: evaluating the model needs its loss");
    const auto ev = train::evaluate(*model, *data.loss, *judged, {.batch_size = 1000});
    c.confusion = train::confusion_matrix(ev.predictions, Labels(judged->labels()), judged->num_classes());
    c.class_names = judged->class_names;
    c.evaluated_on = data.judged_on;
    c.summary.emplace_back("loss on the " + data.judged_on, val4(ev.loss));
    c.summary.emplace_back("accuracy on the " + data.judged_on, pct(ev.accuracy));
    if (info.images || judged->sample_shape().rank() >= 2)
      c.images = image_grid(*judged, ev.predictions,
                            {.title = "Predictions on the first 64 images of the " + data.judged_on,
                             .class_names = judged->class_names});
  }
  if (data.raw_points && input_shape.numel() == 2) {
    NN_CHECK(data.loss != nullptr, "run report: the decision regions need the model's loss");
    DecisionRegionOptions o;
    o.title = "Decision regions (predicted class) and data";
    const float threshold = train::PredictionRule{}.threshold_for(*data.loss);
    c.regions = decision_regions(grid_classifier(*model, input_shape, scaler, threshold), *data.raw_points, o);
  }

  const json& st = info.settings;
  std::set<std::string> listed;
  for (const char* key : kSettingsOrder) {
    listed.insert(key);
    if (st.contains(key)) c.settings.emplace_back(key, text(st[key]));
  }
  for (auto it = st.begin(); it != st.end(); ++it)
    if (!listed.contains(it.key())) c.settings.emplace_back(it.key(), text(it.value()));
  c.settings.emplace_back("training samples", std::to_string(info.train_samples));
  c.settings.emplace_back("validation samples", std::to_string(info.val_samples));
  c.settings.emplace_back("nn version", info.nn_version);
  c.settings.emplace_back("finished", info.finished);

  const double total = info.train_seconds;
  c.timing.emplace_back("training time", train::format_seconds(total));
  if (!h.empty()) {
    c.timing.emplace_back("mean epoch time", train::format_seconds(total / static_cast<double>(h.size())));
    double sps = 0.0;
    for (const auto& r : h.epochs) sps += std::isfinite(r.samples_per_second) ? r.samples_per_second : 0.0;
    c.timing.emplace_back("mean training speed",
                          train::ProgressReporter::group_thousands(std::llround(sps / static_cast<double>(h.size()))) +
                              " samples/s");
    std::string per_epoch;
    for (const auto& r : h.epochs) per_epoch += (per_epoch.empty() ? "" : ", ") + train::format_seconds(r.seconds);
    if (h.size() <= 30) c.timing.emplace_back("time per epoch", per_epoch);
  }
  c.timing.emplace_back("threads", text(st.value("threads", json(nullptr))));
  return c;
}

std::vector<fs::path> RunFolder::write_report(const fs::path& out_dir, const ReportData& data) {
  return report::write_report(out_dir, report_content(data));
}

}  // namespace nn::report
