// Run folders: `nn train --report DIR` writes one from what the run has in memory, `nn report DIR`
// reads one back; both write report.html through nn::report::RunFolder, so their reports are the
// same. The report is judged on the run's test set, else its validation split, else its training data.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/nn.hpp"
#include "nn/report/curves.hpp"
#include "nn/report/report.hpp"
#include "nn/report/run_folder.hpp"
#include "nn/train/progress.hpp"
#include "nn/threads.hpp"

namespace nn::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json run_settings(const TrainOptions& a, const Sequential& model, const Optimizer& optimizer,
                  const data::Scaler& scaler) {
  // The optimizer's type and learning rate as its own description (Optimizer::settings()) spells them.
  const json described = optimizer.settings();
  json settings = {{"data", a.data},
          {"data_dir", a.data_dir},
          {"label_column", a.label_column},
          {"model", io::to_compact(io::spec_of(model))},
          {"init", a.init},
          {"epochs", a.epochs},
          {"batch_size", a.batch_size},
          {"optimizer", described.at("type")},
          {"lr", described.at("lr")},
          {"momentum", a.optimizer == "sgd" ? json(a.momentum) : json(nullptr)},
          {"nesterov", a.optimizer == "sgd" ? json(a.nesterov) : json(nullptr)},
          {"weight_decay", a.weight_decay},
          {"scheduler", a.scheduler},
          {"loss", a.loss},
          {"scale", scaler.kind_name()},
          {"val_split", a.val_split},
          {"stratify", a.stratify},
          {"patience", a.patience},
          {"seed", a.seed},
          {"threads", num_threads()}};
  if (a.clip_grad_norm > 0.0) settings["clip_grad_norm"] = a.clip_grad_norm;
  return settings;
}

// report.html and its pictures in out_dir, judged on data.judged().
void write_report(report::RunFolder& run, PreparedData& data, const fs::path& out_dir) {
  auto loss = make_loss(saved_loss(run.model_metadata));
  const report::ReportData judged{.loss = loss.get(),
                                  .judged = &data.judged(),
                                  .judged_on = data.judged_on(),
                                  .raw_points = data.raw_points ? &*data.raw_points : nullptr};
  const auto written = run.write_report(out_dir, judged);
  std::printf("report written to %s\n", written.back().string().c_str());
}

}  // namespace

void write_train_report(const TrainOptions& o, std::unique_ptr<Sequential> model, const Optimizer& optimizer,
                        PreparedData& data, const train::History& history) {
  report::RunFolder run;
  report::RunInfo& info = run.info;
  info.nn_version = kVersion;
  info.finished = utc_now();
  info.settings = run_settings(o, *model, optimizer, data.scaler);
  info.data_description = data.description;
  info.images = data.images;
  info.train_samples = data.train.size();
  info.val_samples = data.has_val ? data.val.size() : 0;
  info.parameters = parameter_count(*model);
  info.stop_reason = history.stop_reason;
  for (const auto& r : history.epochs) info.train_seconds += r.seconds;
  info.epochs_run = static_cast<int64_t>(history.size());
  run.history = history;
  run.model = std::move(model);
  run.input_shape = data.train.sample_shape();
  run.scaler = data.scaler;
  run.model_metadata = model_metadata(o, data.train);
  if (!o.log_steps.empty()) run.steps = report::read_steps(o.log_steps);  // the per-step loss curve
  run.write(o.report_dir);
  std::printf("model saved to %s\n", (fs::path(o.report_dir) / "model.safetensors").string().c_str());

  // The report needs only the part it judges: free the others (peak memory).
  const data::Dataset& judged = data.judged();
  if (&judged != &data.train) data.train = data::Dataset();
  if (&judged != &data.val) data.val = data::Dataset();
  std::fflush(stdout);
  write_report(run, data, o.report_dir);
}

// `nn report RUN1 RUN2 ... --out DIR`: the runs' curves overlaid, their results and settings side by side.
int compare_runs(const ReportOptions& o) {
  std::vector<std::pair<std::string, train::History>> runs;
  report::ReportContent c;
  c.title = "Comparison of " + std::to_string(o.run_dirs.size()) + " runs";
  for (const auto& dir : o.run_dirs) {
    NN_CHECK(!is_classic_run_folder(dir), dir, ": a classic neuron's run; nn report compares network runs");
    report::RunFolder run = report::RunFolder::read(dir);
    std::string name = fs::path(dir).filename().string();
    if (name.empty() || name == "." || name == "..") name = dir;
    for (const auto& r : runs)
      if (r.first == name) name = dir;  // two folders of one name: their paths tell them apart
    const train::History& h = run.history;
    std::string result = std::to_string(h.size()) + " epochs";
    if (!h.empty()) {
      const auto& last = h.back();
      char buf[160];
      if (last.has_validation())
        std::snprintf(buf, sizeof buf, "; final validation loss %.4f, accuracy %.2f%%", last.val_loss,
                      100.0 * last.val_accuracy);
      else
        std::snprintf(buf, sizeof buf, "; final training loss %.4f, accuracy %.2f%%", last.train_loss,
                      100.0 * last.train_accuracy);
      result += buf;
    }
    result += "; " + train::format_seconds(run.info.train_seconds);
    c.summary.emplace_back(name, result);
    const json& st = run.info.settings;
    std::string settings = st.value("model", "") + "; " + st.value("data", "");
    for (const char* key : {"optimizer", "lr", "scheduler", "batch_size", "seed"})
      if (st.contains(key)) settings += std::string("; ") + key + " " + (st[key].is_string() ? st[key].get<std::string>() : st[key].dump());
    c.settings.emplace_back(name, settings);
    runs.emplace_back(name, run.history);
  }
  c.subtitle = std::to_string(runs.size()) + " runs: ";
  for (size_t i = 0; i < runs.size(); ++i) c.subtitle += (i ? ", " : "") + runs[i].first;
  c.extra_heading = "Learning curves";
  const std::pair<const char*, const char*> charts[] = {{"val_loss", "Validation loss"},
                                                        {"train_loss", "Training loss"},
                                                        {"val_accuracy", "Validation accuracy"},
                                                        {"train_accuracy", "Training accuracy"}};
  for (const auto& [metric, title] : charts) {
    std::string svg = report::overlay_chart_svg(runs, metric, title + std::string(" per epoch"),
                                                std::string(metric).find("accuracy") != std::string::npos
                                                    ? "Accuracy (%)"
                                                    : "Loss (mean per sample)");
    if (!svg.empty())
      c.extra.push_back({std::string("compare_") + metric, title, std::move(svg), std::nullopt,
                         std::string(title) + " of each run, one colour per run."});
  }
  const auto written = report::write_report(o.out_dir, c);
  std::printf("report written to %s\n", written.back().string().c_str());
  return 0;
}

int run_report(const ReportOptions& o) {
  if (o.run_dirs.size() > 1) return compare_runs(o);
  const std::string& run_dir = o.run_dirs.front();
  if (is_classic_run_folder(run_dir)) return report_classic_folder(run_dir, o.out_dir.empty() ? run_dir : o.out_dir);
  report::RunFolder run = report::RunFolder::read(run_dir);
  const json& st = run.info.settings;
  set_num_threads(st.value("threads", 0));
  // The data the run trained on, split as the run split it (the same seed).
  LoadedData loaded = load_data(st.at("data").get<std::string>(),
                                {.data_dir = st.value("data_dir", ""), .label_column = st.value("label_column", "")});
  const data::Dataset& all = loaded.train;
  NN_CHECK(!all.is_classification() || all.sample_numel() == run.input_shape.numel(), all.name, ": samples have ",
           all.sample_numel(), " features but the model expects ", run.input_shape.numel(), " (",
           run.input_shape.str(), ")");
  PreparedData data = prepare_data(std::move(loaded), {.val_split = st.value("val_split", 0.0),
                                                       .seed = st.value("seed", uint64_t{0}),
                                                       .stratify = st.value("stratify", true),
                                                       .fitted = &run.scaler,
                                                       .keep_raw_points = true,
                                                       .judged_only = true});
  if (data.judged().is_classification()) data.judged().reshape_samples(run.input_shape);
  write_report(run, data, o.out_dir.empty() ? run_dir : o.out_dir);
  return 0;
}

}  // namespace nn::cli
