// `nn train --model perceptron | adaline | adaline-sgd`: seed 001's single neurons, trained by their
// own rules (--lr is the learning rate, --epochs n_iter, --seed random_state) on two-class data.
// Reports the errors (perceptron) or loss (Adaline) of every epoch, and writes them to --metrics-out.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/report/chart.hpp"
#include "nn/report/curves.hpp"

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

// Seed 001's picture in the --report folder: the errors or the loss of every epoch.
void write_classic_report(const TrainOptions& a, const classic::LinearNeuron& neuron, const std::string& figure,
                          const std::vector<double>& per_epoch, const std::string& lines) {
  std::error_code ec;
  fs::create_directories(a.report_dir, ec);
  NN_CHECK(!ec, a.report_dir, ": cannot create the report folder (", ec.message(), ")");
  report::ChartOptions co;
  co.title = std::string(neuron.type_name()) +
             (figure == "errors" ? ": updates per epoch" : ": mean squared error per epoch");
  co.x_label = "Epoch";
  co.y_label = figure == "errors" ? "Number of updates" : "Mean squared error";
  const fs::path chart = fs::path(a.report_dir) / (figure + ".svg");
  io::write_file_atomic(chart, report::epoch_chart_svg(per_epoch, co));
  io::write_file_atomic(fs::path(a.report_dir) / "metrics.jsonl", lines);
  std::printf("chart written to %s\n", chart.string().c_str());
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
  if (!a.report_dir.empty()) write_classic_report(a, *neuron, figure, per_epoch, lines);
  const data::Dataset& scored = d.judged();
  std::printf("%s: %s accuracy %.2f%% on %lld samples (%s)\n", neuron->type_name(),
              d.test ? "test" : (d.has_val ? "validation" : "training"), 100.0 * neuron->accuracy(scored),
              static_cast<long long>(scored.size()), scored.name.c_str());
  return 0;
}

}  // namespace nn::cli
