// `nn eval MODEL`: loss, accuracy and per-class precision, recall and F1 of a saved model.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nn/error.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/threads.hpp"
#include "nn/train/metrics.hpp"
#include "nn/train/trainer.hpp"

namespace nn::cli {

using json = nlohmann::json;

std::string saved_loss(const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find("nn.loss");
  return it == metadata.end() ? "cross-entropy" : it->second;
}

namespace {

void print_json(const train::Evaluation& ev, const train::ConfusionMatrix& cm,
                const train::ClassificationReport& report, const data::Dataset& d) {
  json per_class = json::array();
  for (int64_t c = 0; c < cm.num_classes; ++c) {
    const auto i = static_cast<size_t>(c);
    per_class.push_back({{"class", c},
                         {"name", i < d.class_names.size() ? d.class_names[i] : std::to_string(c)},
                         {"precision", report.precision[i]},
                         {"recall", report.recall[i]},
                         {"f1", report.f1[i]},
                         {"support", report.support[i]}});
  }
  json out = {{"loss", ev.loss},
              {"accuracy", ev.accuracy},
              {"samples", ev.samples},
              {"macro_precision", report.macro_precision},
              {"macro_recall", report.macro_recall},
              {"macro_f1", report.macro_f1},
              {"per_class", per_class}};
  std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

void print_table(const std::string& model_path, const train::Evaluation& ev, const train::ConfusionMatrix& cm,
                 const train::ClassificationReport& report, const data::Dataset& d) {
  std::printf("%s on %s: loss %.4f, accuracy %.2f%% (%lld samples), macro F1 %.4f\n", model_path.c_str(),
              d.name.c_str(), ev.loss, 100.0 * ev.accuracy, static_cast<long long>(ev.samples), report.macro_f1);
  std::printf("%-14s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
  for (int64_t c = 0; c < cm.num_classes; ++c) {
    const auto i = static_cast<size_t>(c);
    const std::string name = i < d.class_names.size() ? d.class_names[i] : std::to_string(c);
    std::printf("%-14s %9.4f %9.4f %9.4f %8lld\n", name.c_str(), report.precision[i], report.recall[i], report.f1[i],
                static_cast<long long>(report.support[i]));
  }
}

}  // namespace

int run_eval(const EvalOptions& o) {
  set_num_threads(o.threads);
  io::ScaledModel m = load_for_inference(o.model_path, o.spec, o.input_shape);
  LoadedData loaded = load_data(o.data, {.data_dir = o.data_dir, .label_column = {}});
  // A source with a test part is evaluated on it; "fashion-mnist:test" names it directly.
  data::Dataset d = loaded.test ? std::move(*loaded.test) : std::move(loaded.train);
  NN_CHECK(d.is_classification(), "eval: ", d.name, " has no class labels");
  const Shape& input = m.model.input_shape;
  NN_CHECK(d.sample_numel() == input.numel(), d.name, ": samples have ", d.sample_numel(),
           " features but the model expects ", input.numel(), " (", input.str(), ")");
  m.scaler.transform(d);
  d.reshape_samples(input);
  auto loss = make_loss(saved_loss(m.model.metadata));
  const auto ev = train::evaluate(*m.model.model, *loss, d, {.batch_size = 1000});
  const auto cm = train::confusion_matrix(ev.predictions, Labels(d.labels()), d.num_classes());
  const auto report = train::classification_report(cm);
  if (o.as_json)
    print_json(ev, cm, report, d);
  else
    print_table(o.model_path, ev, cm, report, d);
  return 0;
}

}  // namespace nn::cli
