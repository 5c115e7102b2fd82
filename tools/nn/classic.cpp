// `nn train --model perceptron | adaline | adaline-sgd`: seed 001's single neurons, trained by their
// own rules (--lr is the learning rate, --epochs n_iter, --seed random_state) on two-class data.
// Reports the errors (perceptron) or loss (Adaline) of every epoch, and writes them to --metrics-out.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/json.hpp"
#include "nn/report/chart.hpp"
#include "nn/report/curves.hpp"
#include "nn/report/report.hpp"

namespace nn::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool is_classic(const std::string& model) {
  return model == "perceptron" || model == "adaline" || model == "adaline-sgd";
}

namespace {

// Trains the neuron --model names; per_epoch gets its errors or losses, figure says which.
std::unique_ptr<classic::LinearNeuron> fit_neuron(const TrainOptions& a, const data::Dataset& train,
                                                  std::vector<double>& per_epoch, std::string& figure) {
  const double lr = a.lr < 0 ? 0.01 : a.lr;
  figure = "loss";
  if (a.model == "perceptron") {
    auto p = std::make_unique<classic::Perceptron>(
        classic::PerceptronOptions{.learning_rate = lr, .n_iter = a.epochs, .random_state = a.seed});
    p->fit(train);
    for (int64_t e : p->errors()) per_epoch.push_back(static_cast<double>(e));
    figure = "errors";
    return p;
  }
  if (a.model == "adaline") {
    auto g = std::make_unique<classic::AdalineGD>(
        classic::AdalineGDOptions{.learning_rate = lr, .n_iter = a.epochs, .random_state = a.seed});
    g->fit(train);
    per_epoch = g->losses();
    return g;
  }
  auto g = std::make_unique<classic::AdalineSGD>(
      classic::AdalineSGDOptions{.learning_rate = lr, .n_iter = a.epochs, .shuffle = true, .random_state = a.seed});
  g->fit(train);
  per_epoch = g->losses();
  return g;
}

// The report of a classic neuron: its errors or loss per epoch as a chart, the accuracy, the settings.
report::ReportContent classic_content(const json& run, const std::vector<double>& per_epoch) {
  report::ReportContent c;
  const std::string figure = run.at("figure").get<std::string>(), type = run.at("neuron").get<std::string>();
  c.title = type + " on " + run.at("data").get<std::string>();
  c.subtitle = run.value("data_description", "");
  c.summary.emplace_back("epochs run", std::to_string(per_epoch.size()));
  c.summary.emplace_back(run.value("accuracy_on", "accuracy"), run.value("accuracy", ""));
  if (!per_epoch.empty())
    c.summary.emplace_back(figure == "errors" ? "updates in the last epoch" : "mean squared error in the last epoch",
                           json(per_epoch.back()).dump());
  for (const auto& [k, v] : run.at("settings").items()) c.settings.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  report::ChartOptions co;
  co.title = type + (figure == "errors" ? ": updates per epoch" : ": mean squared error per epoch");
  co.x_label = "Epoch";
  co.y_label = figure == "errors" ? "Number of updates" : "Mean squared error";
  c.extra.push_back({figure, figure == "errors" ? "Updates per epoch" : "Loss per epoch",
                     report::epoch_chart_svg(per_epoch, co), std::nullopt,
                     figure == "errors" ? "Weight updates (misclassified samples) in each epoch."
                                        : "Mean squared error of the linear activation after each epoch."});
  return c;
}

// --report DIR for a classic neuron: run.json (what `nn report` reads back), metrics.jsonl, the
// chart and report.html.
void write_classic_report(const TrainOptions& a, const classic::LinearNeuron& neuron, const std::string& figure,
                          const std::vector<double>& per_epoch, const std::string& lines, const PreparedData& d,
                          const std::string& accuracy_on, double accuracy) {
  std::error_code ec;
  fs::create_directories(a.report_dir, ec);
  NN_CHECK(!ec, a.report_dir, ": cannot create the report folder (", ec.message(), ")");
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.2f%%", 100.0 * accuracy);
  const json run{{"kind", "classic"},
                 {"neuron", neuron.type_name()},
                 {"figure", figure},
                 {"data", a.data},
                 {"data_description", d.description},
                 {"accuracy_on", "accuracy on the " + accuracy_on},
                 {"accuracy", pct},
                 {"nn_version", kVersion},
                 {"settings", {{"data", a.data}, {"model", a.model}, {"epochs", a.epochs},
                               {"lr", a.lr < 0 ? 0.01 : a.lr}, {"seed", a.seed}, {"scale", a.scale},
                               {"val_split", a.val_split}}}};
  io::write_file_atomic(fs::path(a.report_dir) / "metrics.jsonl", lines);
  io::write_file_atomic(fs::path(a.report_dir) / "run.json", run.dump(2) + "\n");
  const auto written = report::write_report(a.report_dir, classic_content(run, per_epoch));
  std::printf("report written to %s\n", written.back().string().c_str());
}

}  // namespace

int run_classic(const TrainOptions& a) {
  NN_CHECK(a.save.empty() && a.checkpoint_dir.empty() && a.resume.empty(), "--model ", a.model,
           ": --save, --checkpoint-dir and --resume apply to networks only");
  NN_CHECK(a.epochs > 0, "--epochs: expected a positive number, found ", a.epochs);
  NN_CHECK(a.scale == "auto" || a.scale == "standard" || a.scale == "none",
           "--scale: the classic neurons take standard or none, found '", a.scale, "'");
  PreparedData d = prepare_data(load_data(a.data, {.data_dir = a.data_dir, .label_column = a.label_column}),
                                {.val_split = a.val_split, .seed = a.seed, .stratify = a.stratify, .scale = a.scale});
  std::vector<double> per_epoch;
  std::string figure;
  const auto neuron = fit_neuron(a, d.train, per_epoch, figure);
  std::string lines;
  for (size_t e = 0; e < per_epoch.size(); ++e) {
    if (!a.quiet) std::fprintf(stderr, "epoch %zu/%zu  %s %.9g\n", e + 1, per_epoch.size(), figure.c_str(), per_epoch[e]);
    lines += json{{"epoch", e + 1}, {figure, per_epoch[e]}}.dump() + "\n";
  }
  if (!a.metrics_out.empty()) io::write_file_atomic(a.metrics_out, lines);
  const data::Dataset& scored = d.judged();
  const double accuracy = neuron->accuracy(scored);
  std::printf("%s: %s accuracy %.2f%% on %lld samples (%s)\n", neuron->type_name(),
              d.test ? "test" : (d.has_val ? "validation" : "training"), 100.0 * accuracy,
              static_cast<long long>(scored.size()), scored.name.c_str());
  if (!a.report_dir.empty()) write_classic_report(a, *neuron, figure, per_epoch, lines, d, d.judged_on(), accuracy);
  return 0;
}

bool is_classic_run_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "run.json", ec)) return false;
  const json j = io::parse_json(io::read_file(dir / "run.json", io::kMaxTextFileBytes, (dir / "run.json").string()),
                                (dir / "run.json").string());
  return j.is_object() && j.value("kind", "") == "classic";
}

int report_classic_folder(const fs::path& dir, const fs::path& out) {
  const fs::path run_json = dir / "run.json";
  const json run = io::parse_json(io::read_file(run_json, io::kMaxTextFileBytes, run_json.string()), run_json.string());
  std::vector<double> per_epoch;
  const std::string figure = run.at("figure").get<std::string>();
  const fs::path metrics = dir / "metrics.jsonl";
  std::istringstream in(io::read_file(metrics, io::kMaxTextFileBytes, metrics.string()));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const json j = io::parse_json(line, metrics.string());
    NN_CHECK(j.is_object() && j.contains(figure) && j[figure].is_number(), metrics.string(), ": expected '", figure,
             "' in every line, found ", io::short_dump(j));
    per_epoch.push_back(j[figure].get<double>());
  }
  const auto written = report::write_report(out, classic_content(run, per_epoch));
  std::printf("report written to %s\n", written.back().string().c_str());
  return 0;
}

}  // namespace nn::cli
