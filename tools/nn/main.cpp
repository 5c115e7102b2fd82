// The nn command: train, eval, predict and info.
#include <CLI/CLI.hpp>

#include <csignal>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data_spec.hpp"
#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"
#include "nn/data/npy.hpp"
#include "nn/data/split.hpp"
#include "nn/data/transform.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/report/chart.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/state_dict_model.hpp"
#include "nn/report/curves.hpp"
#include "nn/report/metrics_file.hpp"
#include "nn/report/report.hpp"
#include "nn/nn.hpp"
#include "nn/threads.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/metrics.hpp"
#include "nn/train/progress.hpp"
#include "nn/train/trainer.hpp"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kVersion = "0.1.0";

// ---- settings of `nn train` ------------------------------------------------------------------------

struct TrainArgs {
  std::string data = "fashion-mnist";
  std::string data_dir;
  std::string label_column;
  std::string model = "linear:128,relu,linear:32,relu,linear:10";
  std::string init = "he";
  int64_t epochs = 15;
  int64_t batch_size = 64;
  std::string optimizer = "adam";
  double lr = -1;  // per optimizer default
  double momentum = 0.9;
  double weight_decay = 0.0;
  bool nesterov = false;
  std::string scheduler = "none";
  std::string loss = "cross-entropy";
  std::string scale = "auto";
  double val_split = 0.1;
  bool stratify = true;
  uint64_t seed = 42;
  int threads = 0;
  std::string metrics_out;
  std::string save;
  int64_t patience = 0;
  bool quiet = false;
  bool progress_lines = false;
  std::string checkpoint_dir;
  int64_t checkpoint_every = 0;
  std::string resume;
  std::string log_steps;
  int64_t debug_kill_at_step = 0;  // hidden: SIGKILL right after the checkpoint of this step is written
  int64_t debug_kill_in_save = 0;  // hidden: SIGKILL while saving this step's checkpoint, before the rename
  std::string report_dir;  // --report DIR: a run folder with report.html
};

std::unique_ptr<nn::Loss> make_loss(const std::string& name) {
  if (name == "cross-entropy" || name == "softmax-ce") return std::make_unique<nn::SoftmaxCrossEntropyLoss>();
  if (name == "nll-probs") return std::make_unique<nn::CrossEntropyLoss>();
  if (name == "mse") return std::make_unique<nn::MSELoss>();
  if (name == "bce") return std::make_unique<nn::BCELoss>();
  if (name == "bce-logits") return std::make_unique<nn::BCEWithLogitsLoss>();
  nn::fail("unknown loss '", name, "' (expected cross-entropy, nll-probs, mse, bce, bce-logits)");
}

std::unique_ptr<nn::Optimizer> make_optimizer(const TrainArgs& a, std::vector<nn::Parameter*> params) {
  const auto f = [](double v) { return static_cast<float>(v); };
  if (a.optimizer == "sgd")
    return std::make_unique<nn::SGD>(std::move(params),
                                     nn::SGDOptions{.lr = f(a.lr < 0 ? 0.01 : a.lr), .momentum = f(a.momentum),
                                                    .weight_decay = f(a.weight_decay), .nesterov = a.nesterov});
  if (a.optimizer == "adam")
    return std::make_unique<nn::Adam>(std::move(params),
                                      nn::AdamOptions{.lr = f(a.lr < 0 ? 1e-3 : a.lr), .weight_decay = f(a.weight_decay)});
  if (a.optimizer == "adamw")
    return std::make_unique<nn::AdamW>(std::move(params),
                                       nn::AdamOptions{.lr = f(a.lr < 0 ? 1e-3 : a.lr), .weight_decay = f(a.weight_decay)});
  nn::fail("unknown optimizer '", a.optimizer, "' (expected sgd, adam, adamw)");
}

// "step:STEP[:GAMMA]", "multistep:M1/M2/...[:GAMMA]", "exp:GAMMA", "cosine[:T_MAX[:ETA_MIN]]", "none".
std::unique_ptr<nn::Scheduler> make_scheduler(const std::string& spec, nn::Optimizer& opt, int64_t epochs) {
  if (spec.empty() || spec == "none") return nullptr;
  std::vector<std::string> parts;
  std::stringstream in(spec);
  for (std::string p; std::getline(in, p, ':');) parts.push_back(p);
  auto number = [&](size_t i, double fallback) {
    if (parts.size() <= i) return fallback;
    try {
      size_t used = 0;
      const double v = std::stod(parts[i], &used);
      if (used == parts[i].size()) return v;
    } catch (const std::logic_error&) {
    }
    nn::fail("scheduler '", spec, "': expected a number, found '", parts[i], "'");
  };
  const std::string& kind = parts[0];
  if (kind == "step" && parts.size() >= 2 && parts.size() <= 3)
    return std::make_unique<nn::StepLR>(opt, static_cast<int64_t>(number(1, 1)), static_cast<float>(number(2, 0.1)));
  if (kind == "multistep" && parts.size() >= 2 && parts.size() <= 3) {
    std::vector<int64_t> milestones;
    std::stringstream ms(parts[1]);
    for (std::string m; std::getline(ms, m, '/');) {
      try {
        milestones.push_back(std::stoll(m));
      } catch (const std::logic_error&) {
        nn::fail("scheduler '", spec, "': expected milestones like 5/10/15, found '", parts[1], "'");
      }
    }
    return std::make_unique<nn::MultiStepLR>(opt, milestones, static_cast<float>(number(2, 0.1)));
  }
  if (kind == "exp" && parts.size() == 2) return std::make_unique<nn::ExponentialLR>(opt, static_cast<float>(number(1, 0)));
  if (kind == "cosine" && parts.size() <= 3)
    return std::make_unique<nn::CosineAnnealingLR>(opt, static_cast<int64_t>(number(1, static_cast<double>(epochs))),
                                                   static_cast<float>(number(2, 0.0)));
  nn::fail("unknown scheduler '", spec, "' (expected step:STEP[:GAMMA], multistep:M1/M2[:GAMMA], exp:GAMMA, ",
           "cosine[:T_MAX[:ETA_MIN]] or none)");
}

// How inputs are prepared before the model sees them; saved with the model so that eval and
// predict prepare theirs the same way.
struct Preprocess {
  std::string kind = "none";  // none | standard | minmax
  std::vector<float> a, b;    // standard: mean, scale; minmax: data_min, data_max
  json to_json() const { return {{"kind", kind}, {"a", a}, {"b", b}}; }
  static Preprocess from_json(const json& j) {
    Preprocess p;
    p.kind = j.at("kind").get<std::string>();
    p.a = j.at("a").get<std::vector<float>>();
    p.b = j.at("b").get<std::vector<float>>();
    return p;
  }
  void apply(nn::data::Dataset& d) const {
    if (kind == "standard") {
      nn::data::StandardScaler s;
      s.set_state(a, b);
      s.transform(d);
    } else if (kind == "minmax") {
      nn::data::MinMaxScaler s;
      s.set_state(a, b);
      s.transform(d);
    }
  }
  void apply(nn::Tensor& x) const {
    if (kind == "standard") {
      nn::data::StandardScaler s;
      s.set_state(a, b);
      s.transform(x);
    } else if (kind == "minmax") {
      nn::data::MinMaxScaler s;
      s.set_state(a, b);
      s.transform(x);
    }
  }
};

// The shape one sample has for the model: images as [1, H, W] for convolutions, flat otherwise.
void shape_for_model(nn::data::Dataset& d, const nn::io::ModelSpec& spec) {
  if (nn::io::expects_images(spec)) {
    if (d.sample_shape().rank() == 1 && d.sample_numel() == 784) d.reshape_samples(nn::Shape{1, 28, 28});
    if (d.sample_shape().rank() == 2) d.reshape_samples(nn::Shape{1, d.sample_shape()[0], d.sample_shape()[1]});
  } else if (d.sample_shape().rank() != 1) {
    d.reshape_samples(nn::Shape{d.sample_numel()});
  }
}

// Writes one JSON object per epoch to a temporary file that becomes FILE when training ends well.
class MetricsWriter : public nn::train::Callback {
 public:
  explicit MetricsWriter(const std::string& path) : file_(path) {}
  void on_epoch_end(int64_t epoch, const nn::train::EpochRecord& r) override {
    auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json j = {{"epoch", epoch + 1},           {"train_loss", num(r.train_loss)}, {"train_accuracy", num(r.train_accuracy)},
              {"val_loss", num(r.val_loss)},  {"val_accuracy", num(r.val_accuracy)},
              {"lr", r.lr},                   {"seconds", r.seconds},           {"samples_per_second", r.samples_per_second}};
    file_.write(j.dump() + "\n");
  }
  void commit() { file_.commit(); }

 private:
  nn::io::AtomicFile file_;
};

// In evaluation mode: BatchNorm refuses a batch of one when training, and neither its running
// statistics nor a Dropout generator should move for a probe.
int64_t output_width(nn::Sequential& model, const nn::data::Dataset& d) {
  nn::Tensor probe(d.sample_shape().batched(1));
  model.eval();
  const nn::Tensor& y = model.forward(probe);
  const int64_t width = y.rank() == 2 ? y.dim(1) : y.numel();
  model.train();
  return width;
}

// ---- checkpoints and resume ------------------------------------------------------------------------

// FNV-1a 64 of a dataset's samples, labels and targets: a resumed run must see the same data.
std::string data_fingerprint(const nn::data::Dataset& d) {
  uint64_t h = nn::io::fnv1a64(nullptr, 0);
  if (d.is_u8()) {
    h = nn::io::fnv1a64(d.features_u8().data(), d.features_u8().size(), h);
  } else if (d.features().defined()) {
    h = nn::io::fnv1a64(d.features().data(), static_cast<size_t>(d.features().numel()) * sizeof(float), h);
  }
  h = nn::io::fnv1a64(d.labels().data(), d.labels().size() * sizeof(int32_t), h);
  if (d.targets().defined())
    h = nn::io::fnv1a64(d.targets().data(), static_cast<size_t>(d.targets().numel()) * sizeof(float), h);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Everything that must match for an exact resume; not the number of epochs, except where the
// schedule depends on it (cosine without T_MAX).
json resume_settings(const TrainArgs& a, const nn::io::ModelSpec& spec, const nn::Optimizer& optimizer,
                     const nn::data::Dataset& train, const nn::data::Dataset* val) {
  std::string scheduler = a.scheduler;
  if (scheduler == "cosine") scheduler += ":" + std::to_string(a.epochs);
  return {{"model", nn::io::to_compact(spec)},
          {"data", a.data},
          {"label_column", a.label_column},
          {"val_split", a.val_split},
          {"stratify", a.stratify},
          {"scale", a.scale},
          {"data_hash", data_fingerprint(train) + (val ? "/" + data_fingerprint(*val) : std::string())},
          {"loss", a.loss},
          {"optimizer", nn::io::optimizer_settings(optimizer)},
          {"scheduler", scheduler},
          {"batch_size", a.batch_size},
          {"seed", a.seed}};
}

// --log-steps: one line "STEP LOSS" per optimizer step, the loss printed exactly (%.9g), flushed
// at once so that a killed run's log holds every step it took.
class StepLog : public nn::train::Callback {
 public:
  // A fresh run truncates the file; a resumed one keeps the lines up to its checkpoint's step
  // (a killed run may have logged steps after it) and appends.
  StepLog(const std::string& path, std::optional<int64_t> resume_step) {
    if (resume_step) {
      std::string kept;
      std::ifstream in(path);
      for (std::string line; std::getline(in, line);) {
        long long step = 0;
        if (std::sscanf(line.c_str(), "%lld", &step) == 1 && step <= *resume_step) kept += line + "\n";
      }
      nn::io::write_file_atomic(path, kept);
    }
    file_ = std::fopen(path.c_str(), resume_step ? "a" : "w");
    NN_CHECK(file_ != nullptr, "--log-steps: cannot open '", path, "'");
  }
  ~StepLog() override {
    if (file_) std::fclose(file_);
  }
  StepLog(const StepLog&) = delete;
  StepLog& operator=(const StepLog&) = delete;
  void on_batch_end(const nn::train::BatchEnd& b) override {
    std::fprintf(file_, "%lld %.9g\n", static_cast<long long>(b.step), static_cast<double>(b.loss));
    std::fflush(file_);
  }

 private:
  std::FILE* file_ = nullptr;
};

// --resume: loads the checkpoint, refuses other settings, and puts model, optimizer, scheduler and
// RNG back; the caller resumes fit at (epoch, batch) with its history.
nn::io::CheckpointState resume_from(const TrainArgs& a, const json& settings, nn::Sequential& model,
                                    const nn::data::Dataset& train, nn::Optimizer& optimizer,
                                    nn::Scheduler* scheduler) {
  const fs::path path = nn::io::resolve_checkpoint_path(a.resume);
  std::error_code ec;
  NN_CHECK(fs::is_regular_file(path, ec), "--resume: no checkpoint at '", path.string(), "'");
  nn::io::CheckpointState ck = nn::io::load_checkpoint(path);
  nn::io::check_resume_settings(ck, settings, path.string());
  NN_CHECK(ck.epoch <= a.epochs, "--resume: ", path.string(), " has finished ", ck.epoch, " epochs; --epochs ",
           a.epochs, " asks for fewer");
  {
    // Layers that infer their input size get their shapes from one forward in evaluation mode.
    model.eval();
    nn::Tensor probe(train.sample_shape().batched(1));
    model.forward(probe);
    model.train();
  }
  nn::io::restore_training_state(ck, model, optimizer, scheduler);
  if (auto it = ck.metadata.find("nn.threads"); it != ck.metadata.end() && it->second != std::to_string(nn::num_threads()))
    std::cerr << "note: the checkpoint was written with " << it->second << " threads, this run uses "
              << nn::num_threads() << "; the results may differ in the last bits from an uninterrupted run\n";
  return ck;
}

// --checkpoint-dir: last and best, with the hidden test hooks that kill the process.
std::unique_ptr<nn::io::CheckpointWriter> make_checkpoint_writer(const TrainArgs& a, const json& settings,
                                                                 std::map<std::string, std::string> metadata) {
  nn::io::CheckpointWriterOptions o;
  o.dir = a.checkpoint_dir;
  o.every_batches = a.checkpoint_every;
  o.settings = settings;
  o.metadata = std::move(metadata);
  if (a.debug_kill_at_step > 0)
    o.after_write = [step = a.debug_kill_at_step](const fs::path&, const nn::io::CheckpointState& st) {
      if (st.step == step) std::raise(SIGKILL);
    };
  if (a.debug_kill_in_save > 0)
    o.before_rename = [step = a.debug_kill_in_save](const fs::path&, const nn::io::CheckpointState& st) {
      if (st.step == step) std::raise(SIGKILL);
    };
  return std::make_unique<nn::io::CheckpointWriter>(std::move(o));
}

// --report DIR (both defined with `nn report` below): write_train_report writes the run folder
// (model, metrics, run.json), then run_report renders its report as `nn report DIR` does.
int run_report(const std::string& run_dir, const std::string& out_dir);
void write_train_report(const TrainArgs& a, const nn::Sequential& model, const nn::Optimizer& optimizer,
                        const Preprocess& pre, const nn::data::Dataset& train, const nn::train::History& history,
                        const nn::cli::LoadedData& loaded, int64_t val_samples);

// How a trained model is saved: its input shape, and what eval and predict need to prepare inputs.
nn::io::SaveOptions model_save_options(const TrainArgs& a, const Preprocess& pre, const nn::data::Dataset& train) {
  nn::io::SaveOptions so;
  const auto dims = train.sample_shape().dims();
  so.input_shape.assign(dims.begin(), dims.end());
  so.metadata["nn.preprocess"] = pre.to_json().dump();
  so.metadata["nn.data"] = a.data;
  so.metadata["nn.loss"] = a.loss;
  so.metadata["nn.version"] = kVersion;
  if (!train.class_names.empty()) so.metadata["nn.class_names"] = json(train.class_names).dump();
  return so;
}

// --model perceptron | adaline | adaline-sgd: seed 001's single neurons, trained by their own rules
// (--lr is the learning rate, --epochs n_iter, --seed random_state) on two-class data. Reports the
// errors (perceptron) or loss (Adaline) of every epoch, and writes them to --metrics-out.
bool is_classic(const std::string& model) {
  return model == "perceptron" || model == "adaline" || model == "adaline-sgd";
}

int run_classic(const TrainArgs& a) {
  NN_CHECK(a.save.empty() && a.checkpoint_dir.empty() && a.resume.empty(), "--model ", a.model,
           ": --save, --checkpoint-dir and --resume apply to networks only");
  NN_CHECK(a.epochs > 0, "--epochs: expected a positive number, found ", a.epochs);
  nn::cli::LoadedData loaded = nn::cli::load_data(a.data, {.data_dir = a.data_dir, .label_column = a.label_column});
  nn::data::Dataset& all = loaded.train;
  NN_CHECK(a.val_split >= 0.0 && a.val_split < 1.0, "--val-split: expected a fraction in [0, 1), found ", a.val_split);
  nn::data::Dataset train, val;
  const bool has_val = a.val_split > 0.0 && all.size() >= 10;
  if (has_val) {
    auto [tr, va] = nn::data::train_test_split(all, a.val_split, a.seed, a.stratify && all.is_classification());
    train = std::move(tr);
    val = std::move(va);
  } else {
    train = std::move(all);
  }
  std::string scale = a.scale == "auto" ? (loaded.images ? "none" : "standard") : a.scale;
  if (scale == "standard") {
    nn::data::StandardScaler s;
    s.fit(train);
    s.transform(train);
    if (has_val) s.transform(val);
    if (loaded.test) s.transform(*loaded.test);
  } else {
    NN_CHECK(scale == "none", "--scale: the classic neurons take standard or none, found '", scale, "'");
  }
  const double lr = a.lr < 0 ? 0.01 : a.lr;
  std::vector<double> per_epoch;
  const char* figure = "loss";
  std::unique_ptr<nn::classic::LinearNeuron> neuron;
  if (a.model == "perceptron") {
    auto p = std::make_unique<nn::classic::Perceptron>(
        nn::classic::PerceptronOptions{.learning_rate = lr, .n_iter = a.epochs, .random_state = a.seed});
    p->fit(train);
    for (int64_t e : p->errors()) per_epoch.push_back(static_cast<double>(e));
    figure = "errors";
    neuron = std::move(p);
  } else if (a.model == "adaline") {
    auto g = std::make_unique<nn::classic::AdalineGD>(
        nn::classic::AdalineGDOptions{.learning_rate = lr, .n_iter = a.epochs, .random_state = a.seed});
    g->fit(train);
    per_epoch = g->losses();
    neuron = std::move(g);
  } else {
    auto g = std::make_unique<nn::classic::AdalineSGD>(nn::classic::AdalineSGDOptions{
        .learning_rate = lr, .n_iter = a.epochs, .shuffle = true, .random_state = a.seed});
    g->fit(train);
    per_epoch = g->losses();
    neuron = std::move(g);
  }
  std::string lines;
  for (size_t e = 0; e < per_epoch.size(); ++e) {
    if (!a.quiet) std::fprintf(stderr, "epoch %zu/%zu  %s %.9g\n", e + 1, per_epoch.size(), figure, per_epoch[e]);
    lines += json{{"epoch", e + 1}, {figure, per_epoch[e]}}.dump() + "\n";
  }
  if (!a.metrics_out.empty()) nn::io::write_file_atomic(a.metrics_out, lines);
  if (!a.report_dir.empty()) {
    // Seed 001's picture: the errors or the loss of every epoch.
    std::error_code ec;
    fs::create_directories(a.report_dir, ec);
    NN_CHECK(!ec, a.report_dir, ": cannot create the report folder (", ec.message(), ")");
    nn::report::ChartOptions co;
    co.title = std::string(neuron->type_name()) + (figure == std::string("errors") ? ": updates per epoch"
                                                                                   : ": mean squared error per epoch");
    co.x_label = "Epoch";
    co.y_label = figure == std::string("errors") ? "Number of updates" : "Mean squared error";
    const fs::path chart = fs::path(a.report_dir) / (std::string(figure) + ".svg");
    nn::io::write_file_atomic(chart, nn::report::epoch_chart_svg(per_epoch, co));
    nn::io::write_file_atomic(fs::path(a.report_dir) / "metrics.jsonl", lines);
    std::printf("chart written to %s\n", chart.string().c_str());
  }
  const nn::data::Dataset& scored = loaded.test ? *loaded.test : (has_val ? val : train);
  std::printf("%s: %s accuracy %.2f%% on %lld samples (%s)\n", neuron->type_name(),
              loaded.test ? "test" : (has_val ? "validation" : "training"), 100.0 * neuron->accuracy(scored),
              static_cast<long long>(scored.size()), scored.name.c_str());
  return 0;
}

int run_train(const TrainArgs& a) {
  if (is_classic(a.model)) return run_classic(a);
  nn::set_num_threads(a.threads);
  nn::manual_seed(a.seed);
  std::ostream& log = std::cerr;

  nn::cli::LoadedData loaded = nn::cli::load_data(a.data, {.data_dir = a.data_dir, .label_column = a.label_column});
  nn::io::ModelSpec spec = a.model.ends_with(".json") ? nn::io::read_model_spec_file(a.model) : nn::io::parse_model_spec(a.model);
  auto model = nn::io::build_model(spec, {.default_init = nn::parse_init(a.init)});
  auto loss = make_loss(a.loss);
  NN_CHECK(a.val_split >= 0.0 && a.val_split < 1.0, "--val-split: expected a fraction in [0, 1), found ", a.val_split);
  NN_CHECK(a.epochs > 0, "--epochs: expected a positive number, found ", a.epochs);
  NN_CHECK(a.batch_size > 0, "--batch-size: expected a positive number, found ", a.batch_size);

  nn::data::Dataset& all = loaded.train;
  NN_CHECK(!all.empty(), all.name, ": no samples");
  nn::data::Dataset train, val;
  bool has_val = false;
  if (a.val_split > 0.0 && all.size() >= 10) {
    // The same split as nn::data::train_test_split, made in place: one copy of the data (peak memory).
    const auto parts =
        nn::data::train_test_split_indices(all, a.val_split, a.seed, a.stratify && all.is_classification());
    val = all.subset(parts.test);
    all.keep(parts.train);
    train = std::move(all);
    has_val = true;
  } else {
    train = std::move(all);
  }
  std::optional<nn::data::Dataset>& test = loaded.test;

  // Scaling: images come as uint8 and are mapped to [0, 1] when batched; other data is
  // standardised with statistics of the training part only.
  Preprocess pre;
  std::string scale = a.scale;
  if (scale == "auto") scale = loaded.images ? "none" : "standard";
  if (scale == "standard") {
    nn::data::StandardScaler s;
    s.fit(train);
    pre = {"standard", s.mean(), s.scale()};
  } else if (scale == "minmax") {
    nn::data::MinMaxScaler s;
    s.fit(train);
    pre = {"minmax", s.data_min(), s.data_max()};
  } else {
    NN_CHECK(scale == "none", "--scale: expected auto, standard, minmax or none, found '", scale, "'");
  }
  pre.apply(train);
  if (has_val) pre.apply(val);
  if (test) pre.apply(*test);
  shape_for_model(train, spec);
  if (has_val) shape_for_model(val, spec);
  if (test) shape_for_model(*test, spec);

  if (train.is_classification()) {
    const int64_t outputs = output_width(*model, train);
    const bool binary_single = outputs == 1 && train.num_classes() <= 2;
    NN_CHECK(binary_single || outputs >= train.num_classes(), "model: the last layer has ", outputs,
             " outputs but ", train.name, " has ", train.num_classes(), " classes (labels 0..", train.num_classes() - 1,
             ")");
  }
  model->set_input_grad(false);  // no gradient for the data itself
  auto optimizer = make_optimizer(a, model->parameters());
  auto scheduler = make_scheduler(a.scheduler, *optimizer, a.epochs);
  NN_CHECK(a.checkpoint_every >= 0, "--checkpoint-every: expected a number of batches >= 0, found ", a.checkpoint_every);
  NN_CHECK(a.checkpoint_every == 0 || !a.checkpoint_dir.empty(), "--checkpoint-every needs --checkpoint-dir");
  const json settings = resume_settings(a, spec, *optimizer, train, has_val ? &val : nullptr);
  std::optional<nn::io::CheckpointState> resumed;
  if (!a.resume.empty()) resumed = resume_from(a, settings, *model, train, *optimizer, scheduler.get());

  if (!a.quiet) {
    log << "data:  " << loaded.description << "; training on " << train.size()
        << (has_val ? ", validating on " + std::to_string(val.size()) : std::string()) << "\n";
    log << "model: " << nn::io::to_compact(spec) << " (" << nn::parameter_count(*model) << " parameters)\n";
    log << "train: " << a.epochs << " epochs, batch " << a.batch_size << ", " << optimizer->type_name() << " lr "
        << optimizer->lr() << ", loss " << loss->type_name() << ", " << nn::num_threads() << " threads, seed " << a.seed
        << "\n";
  }

  nn::train::Trainer trainer;
  nn::train::ProgressReporter progress(
      log, {.mode = a.quiet ? nn::train::ProgressMode::quiet
                            : (a.progress_lines ? nn::train::ProgressMode::lines : nn::train::ProgressMode::automatic)});
  trainer.add_callback(progress);
  std::unique_ptr<MetricsWriter> metrics;
  if (!a.metrics_out.empty()) {
    metrics = std::make_unique<MetricsWriter>(a.metrics_out);
    trainer.add_callback(*metrics);
  }
  std::unique_ptr<nn::train::EarlyStopping> early;
  if (a.patience > 0) {
    early = std::make_unique<nn::train::EarlyStopping>(
        nn::train::EarlyStoppingOptions{.monitor = has_val ? "val_loss" : "train_loss", .patience = a.patience,
                                        .restore_best_weights = true});
    trainer.add_callback(*early);
  }
  std::unique_ptr<StepLog> step_log;
  if (!a.log_steps.empty()) {
    step_log = std::make_unique<StepLog>(a.log_steps, resumed ? std::optional<int64_t>(resumed->step) : std::nullopt);
    trainer.add_callback(*step_log);
  }
  std::unique_ptr<nn::io::CheckpointWriter> checkpoints;
  if (!a.checkpoint_dir.empty()) {
    std::map<std::string, std::string> meta{{"nn.preprocess", pre.to_json().dump()},
                                            {"nn.threads", std::to_string(nn::num_threads())},
                                            {"nn.version", kVersion}};
    checkpoints = make_checkpoint_writer(a, settings, std::move(meta));
    if (resumed) checkpoints->set_best(resumed->best, resumed->best_epoch);
    trainer.add_callback(*checkpoints);
  }
  nn::train::FitOptions fit{.epochs = a.epochs, .batch_size = a.batch_size, .seed = a.seed};
  nn::train::History start;
  if (resumed) {
    fit.start_epoch = resumed->epoch;
    fit.start_batch = resumed->batch;
    start = std::move(resumed->history);
    if (metrics)
      for (const auto& r : start.epochs) metrics->on_epoch_end(r.epoch, r);
    if (!a.quiet)
      log << "resume: from " << nn::io::resolve_checkpoint_path(a.resume).string() << " at epoch " << fit.start_epoch + 1
          << ", batch " << fit.start_batch + 1 << " (step " << resumed->step << ")\n";
  }
  nn::train::History history =
      trainer.fit(*model, *loss, *optimizer, train, has_val ? &val : nullptr, fit, scheduler.get(), std::move(start));
  if (!history.stop_reason.empty() && !a.quiet) log << "stopped early: " << history.stop_reason << "\n";

  double train_seconds = 0.0;
  for (const auto& r : history.epochs) train_seconds += r.seconds;
  if (test) {
    const auto ev = nn::train::evaluate(*model, *loss, *test, {.batch_size = 1000});
    std::printf("test: loss %.4f, accuracy %.2f%% on %lld samples of %s (training took %.1f s)\n", ev.loss,
                100.0 * ev.accuracy, static_cast<long long>(ev.samples), test->name.c_str(), train_seconds);
  } else if (!history.empty()) {
    const auto& last = history.back();
    if (has_val)
      std::printf("validation: loss %.4f, accuracy %.2f%% (training took %.1f s)\n", last.val_loss,
                  100.0 * last.val_accuracy, train_seconds);
    else
      std::printf("train: loss %.4f, accuracy %.2f%% (training took %.1f s)\n", last.train_loss,
                  100.0 * last.train_accuracy, train_seconds);
  }
  if (metrics) metrics->commit();
  if (!a.save.empty()) {
    nn::io::save(*model, a.save, model_save_options(a, pre, train));
    std::printf("model saved to %s\n", a.save.c_str());
  }
  if (!a.report_dir.empty()) {
    write_train_report(a, *model, *optimizer, pre, train, history, loaded, has_val ? val.size() : 0);
    // The report loads the data again from the run folder's settings: free ours first, so that
    // the run's peak memory is one copy of the data, not two.
    train = nn::data::Dataset();
    val = nn::data::Dataset();
    loaded = nn::cli::LoadedData();
    std::fflush(stdout);
    run_report(a.report_dir, a.report_dir);
  }
  std::fflush(stdout);
  return 0;
}

// ---- eval, predict, info ---------------------------------------------------------------------------

struct Loaded {
  nn::io::LoadedModel m;
  Preprocess pre;
  std::string loss = "cross-entropy";
};

Loaded load(const std::string& path, const std::string& spec = "", const std::string& input_shape = "") {
  if (!spec.empty())  // a plain state dict (PyTorch's): the architecture comes from --model
    return Loaded{nn::io::load_model_with_spec(path, nn::io::resolve_model_spec(spec), nn::io::parse_input_shape(input_shape))
                      .loaded,
                  {}, "cross-entropy"};
  Loaded l{nn::io::load_model(path), {}, "cross-entropy"};
  if (auto it = l.m.metadata.find("nn.preprocess"); it != l.m.metadata.end()) {
    try {
      l.pre = Preprocess::from_json(json::parse(it->second));
    } catch (const json::exception& e) {
      nn::fail(path, ": bad nn.preprocess metadata: ", e.what());
    }
  }
  if (auto it = l.m.metadata.find("nn.loss"); it != l.m.metadata.end()) l.loss = it->second;
  return l;
}

void fit_input(nn::data::Dataset& d, const Loaded& l, const std::string& what) {
  NN_CHECK(d.sample_numel() == l.m.input_shape.numel(), what, ": samples have ", d.sample_numel(),
           " features but the model expects ", l.m.input_shape.numel(), " (", l.m.input_shape.str(), ")");
  l.pre.apply(d);
  d.reshape_samples(l.m.input_shape);
}

int run_eval(const std::string& model_path, const std::string& data_spec, const std::string& data_dir, bool as_json,
             int threads, const std::string& spec, const std::string& input_shape) {
  nn::set_num_threads(threads);
  Loaded l = load(model_path, spec, input_shape);
  nn::cli::LoadedData loaded = nn::cli::load_data(data_spec, {.data_dir = data_dir, .label_column = {}});
  // A source with a test part is evaluated on it; "fashion-mnist:test" names it directly.
  nn::data::Dataset d = loaded.test ? std::move(*loaded.test) : std::move(loaded.train);
  NN_CHECK(d.is_classification(), "eval: ", d.name, " has no class labels");
  fit_input(d, l, d.name);
  auto loss = make_loss(l.loss);
  const auto ev = nn::train::evaluate(*l.m.model, *loss, d, {.batch_size = 1000});
  const auto cm = nn::train::confusion_matrix(ev.predictions, nn::Labels(d.labels()), d.num_classes());
  const auto report = nn::train::classification_report(cm);
  if (as_json) {
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
    json out = {{"loss", ev.loss},         {"accuracy", ev.accuracy},        {"samples", ev.samples},
                {"macro_precision", report.macro_precision}, {"macro_recall", report.macro_recall},
                {"macro_f1", report.macro_f1}, {"per_class", per_class}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf("%s on %s: loss %.4f, accuracy %.2f%% (%lld samples), macro F1 %.4f\n", model_path.c_str(),
                d.name.c_str(), ev.loss, 100.0 * ev.accuracy, static_cast<long long>(ev.samples), report.macro_f1);
    std::printf("%-14s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
    for (int64_t c = 0; c < cm.num_classes; ++c) {
      const auto i = static_cast<size_t>(c);
      const std::string name = i < d.class_names.size() ? d.class_names[i] : std::to_string(c);
      std::printf("%-14s %9.4f %9.4f %9.4f %8lld\n", name.c_str(), report.precision[i], report.recall[i],
                  report.f1[i], static_cast<long long>(report.support[i]));
    }
  }
  return 0;
}

int run_predict(const std::string& model_path, const std::string& input, const std::string& output, int threads,
                const std::string& spec, const std::string& input_shape) {
  nn::set_num_threads(threads);
  Loaded l = load(model_path, spec, input_shape);
  // The input: an .npy array [N, ...] or a CSV of features only.
  nn::Tensor x;
  if (input.ends_with(".npy")) {
    auto arr = nn::data::read_npy(input);
    NN_CHECK(!arr.shape.empty(), input, ": expected an array of samples [N, ...], found a scalar");
    const int64_t n = arr.shape[0];
    NN_CHECK(n == 0 || arr.numel() / n == l.m.input_shape.numel(), input, ": samples have ",
             n ? arr.numel() / n : 0, " values but the model expects ", l.m.input_shape.numel(), " (",
             l.m.input_shape.str(), ")");
    x = nn::Tensor(l.m.input_shape.batched(n), std::span<const float>(arr.data));
  } else {
    nn::fail(input, ": expected a .npy file of samples");
  }
  l.pre.apply(x);
  auto& model = *l.m.model;
  const int64_t n = x.dim(0), per = l.m.input_shape.numel();
  nn::Tensor batch, outputs;
  std::vector<int32_t> classes;
  const int64_t chunk = 1000;
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t b = std::min(chunk, n - start);
    batch.resize(l.m.input_shape.batched(b));
    std::copy_n(x.data() + start * per, b * per, batch.data());
    const nn::Tensor& y = model.forward(batch);
    const int64_t width = y.numel() / b;
    if (!outputs.defined()) outputs.resize(nn::Shape{n, width});
    std::copy_n(y.data(), y.numel(), outputs.data() + start * width);
  }
  if (!outputs.defined()) outputs.resize(nn::Shape{0, 0});
  if (!output.empty()) {
    nn::data::write_npy(output, outputs);
    std::fprintf(stderr, "wrote %lld predictions to %s\n", static_cast<long long>(n), output.c_str());
  } else {
    const int64_t width = outputs.rank() == 2 ? outputs.dim(1) : 1;
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t c = 1; c < width; ++c)
        if (outputs.at(i, c) > outputs.at(i, best)) best = c;
      std::printf("%lld\n", static_cast<long long>(width == 1 ? (outputs[i] > (l.loss == "bce-logits" ? 0.0f : 0.5f)) : best));
    }
  }
  return 0;
}

// `nn info` on a checkpoint: where training stands and the settings it needs.
int run_checkpoint_info(const std::string& path) {
  const nn::io::CheckpointState ck = nn::io::load_checkpoint(path);
  std::printf("%s: nn checkpoint, format version %d\n", path.c_str(), nn::io::kCheckpointFormatVersion);
  std::printf("position: step %lld; %lld epochs finished; resumes at epoch %lld, batch %lld\n",
              static_cast<long long>(ck.step), static_cast<long long>(ck.history.size()),
              static_cast<long long>(ck.epoch + 1), static_cast<long long>(ck.batch + 1));
  int64_t params = 0;
  for (auto& [name, t] : ck.model) params += t.numel();
  std::printf("model: %lld tensors (parameters and buffers), %lld values\n", static_cast<long long>(ck.model.size()),
              static_cast<long long>(params));
  std::printf("optimizer: %s, %lld steps, %lld state tensors\n", ck.optimizer_type.c_str(),
              static_cast<long long>(ck.optimizer_steps), static_cast<long long>(ck.optimizer.size()));
  if (ck.scheduler_epoch >= 0) std::printf("scheduler epoch: %lld\n", static_cast<long long>(ck.scheduler_epoch));
  if (!ck.history.empty()) {
    const auto& r = ck.history.back();
    std::printf("last epoch: %lld, train_loss %.6g, val_loss %.6g\n", static_cast<long long>(r.epoch + 1), r.train_loss,
                r.val_loss);
  }
  if (ck.best_epoch >= 0)
    std::printf("best: %s %.6g at epoch %lld\n", ck.monitor.c_str(), ck.best, static_cast<long long>(ck.best_epoch + 1));
  std::printf("settings: %s\n", ck.settings.dump().c_str());
  for (auto& [k, v] : ck.metadata)
    if (k.starts_with("nn.") && k != "nn.preprocess") std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}

int run_info(const std::string& path) {
  if (nn::io::is_checkpoint_file(path)) return run_checkpoint_info(path);
  Loaded l = load(path);
  auto& model = *l.m.model;
  std::printf("%s: nn model, format version %d\n", path.c_str(), l.m.format_version);
  std::printf("input: %s per sample\n", l.m.input_shape.str().c_str());
  std::printf("%s\n", model.repr().c_str());
  std::printf("%-14s %-18s %12s\n", "layer", "parameter", "count");
  for (auto& [name, p] : model.named_parameters())
    std::printf("%-14s %-18s %12lld\n", name.substr(0, name.rfind('.')).c_str(), (name + " " + p->data.shape().str()).c_str(),
                static_cast<long long>(p->data.numel()));
  std::printf("total parameters: %lld\n", static_cast<long long>(nn::parameter_count(model)));
  for (auto& [k, v] : l.m.metadata)
    if (k.starts_with("nn.") && k != "nn.preprocess") std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}


// ---- training reports: nn train --report DIR, nn report RUN_DIR --------------------------------------
//
// A run folder holds:
//   run.json            settings, data description, sizes and timing of the run (format "nn.run", version 1)
//   metrics.jsonl       one JSON object per epoch (as --metrics-out writes)
//   model.safetensors   the trained model (as --save writes)
//   report.html         the self-contained report, and every picture of it as .svg (and .png for rasters)
// `nn report RUN_DIR` rebuilds the report from the first three (reloading the data the run names).

int run_report(const std::string& run_dir, const std::string& out_dir);

constexpr const char* kRunFormat = "nn.run";
constexpr int kRunFormatVersion = 1;

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void write_train_report(const TrainArgs& a, const nn::Sequential& model, const nn::Optimizer& optimizer,
                        const Preprocess& pre, const nn::data::Dataset& train, const nn::train::History& history,
                        const nn::cli::LoadedData& loaded, int64_t val_samples) {
  const fs::path dir = a.report_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  NN_CHECK(!ec && fs::is_directory(dir), dir.string(), ": cannot create the report folder (", ec.message(), ")");

  nn::io::save(model, dir / "model.safetensors", model_save_options(a, pre, train));
  std::printf("model saved to %s\n", (dir / "model.safetensors").string().c_str());
  nn::io::write_file_atomic(dir / "metrics.jsonl", nn::report::metrics_jsonl(history));

  double train_seconds = 0.0;
  for (const auto& r : history.epochs) train_seconds += r.seconds;
  const json settings = {{"data", a.data},
                         {"data_dir", a.data_dir},
                         {"label_column", a.label_column},
                         {"model", nn::io::to_compact(nn::io::spec_of(model))},
                         {"init", a.init},
                         {"epochs", a.epochs},
                         {"batch_size", a.batch_size},
                         {"optimizer", optimizer.type_name()},
                         {"lr", std::strtod(fmt("%.7g", optimizer.initial_lr()).c_str(), nullptr)},
                         {"momentum", a.optimizer == "sgd" ? json(a.momentum) : json(nullptr)},
                         {"nesterov", a.optimizer == "sgd" ? json(a.nesterov) : json(nullptr)},
                         {"weight_decay", a.weight_decay},
                         {"scheduler", a.scheduler},
                         {"loss", a.loss},
                         {"scale", pre.kind},
                         {"val_split", a.val_split},
                         {"stratify", a.stratify},
                         {"patience", a.patience},
                         {"seed", a.seed},
                         {"threads", nn::num_threads()}};
  const json run = {{"format", kRunFormat},
                    {"format_version", kRunFormatVersion},
                    {"nn_version", kVersion},
                    {"finished", utc_now()},
                    {"settings", settings},
                    {"data_description", loaded.description},
                    {"images", loaded.images},
                    {"train_samples", train.size()},
                    {"val_samples", val_samples},
                    {"parameters", nn::parameter_count(const_cast<nn::Sequential&>(model))},
                    {"stop_reason", history.stop_reason},
                    {"timing", {{"train_seconds", train_seconds}, {"epochs_run", history.size()}}}};
  nn::io::write_file_atomic(dir / "run.json", run.dump(2) + "\n");
}

// The classifier of the decision-region picture: raw 2-D points -> the model's classes.
nn::report::Classifier grid_classifier(Loaded& l) {
  const float threshold = l.loss == "bce-logits" ? 0.0f : 0.5f;
  auto x = std::make_shared<nn::Tensor>();
  return [&l, threshold, x](const nn::Tensor& points, std::span<int32_t> out) {
    x->resize(l.m.input_shape.batched(points.dim(0)));
    std::copy_n(points.data(), points.numel(), x->data());
    l.pre.apply(*x);
    nn::train::predict_classes(l.m.model->forward(*x), out, threshold);
  };
}

int run_report(const std::string& run_dir, const std::string& out_dir) {
  const fs::path dir = run_dir;
  json run;
  {
    std::ifstream in(dir / "run.json");
    NN_CHECK(in.good(), (dir / "run.json").string(), ": cannot open (a run folder is written by nn train --report DIR)");
    try {
      run = json::parse(in);
    } catch (const json::exception& e) {
      nn::fail((dir / "run.json").string(), ": bad JSON: ", e.what());
    }
  }
  NN_CHECK(run.value("format", "") == kRunFormat && run.value("format_version", 0) == kRunFormatVersion,
           (dir / "run.json").string(), ": expected format \"", kRunFormat, "\" version ", kRunFormatVersion, ", found \"",
           run.value("format", ""), "\" version ", run.value("format_version", 0));
  const json& st = run.at("settings");
  nn::set_num_threads(st.value("threads", 0));
  nn::train::History history = nn::report::read_metrics_jsonl(dir / "metrics.jsonl");
  history.stop_reason = run.value("stop_reason", "");
  Loaded l = load((dir / "model.safetensors").string());

  // The data the run trained on, and the part it is judged on: the test set where the source has
  // one, else the validation split the run held out (the same seed), else the training data.
  nn::cli::LoadedData loaded = nn::cli::load_data(
      st.at("data").get<std::string>(),
      {.data_dir = st.value("data_dir", ""), .label_column = st.value("label_column", "")});
  nn::data::Dataset& all = loaded.train;
  std::optional<nn::data::Dataset> raw_points;
  if (all.is_classification() && all.sample_numel() == 2) raw_points = all.clone();
  nn::data::Dataset judged;
  std::string judged_on;
  const double val_split = st.value("val_split", 0.0);
  if (loaded.test) {
    judged = std::move(*loaded.test);
    judged_on = "test set";
  } else if (val_split > 0.0 && all.size() >= 10) {
    judged = nn::data::train_test_split(all, val_split, st.value("seed", uint64_t{0}),
                                        st.value("stratify", true) && all.is_classification())
                 .second;
    judged_on = "validation split";
  } else {
    judged = std::move(all);
    judged_on = "training data";
  }
  judged_on += " (" + std::to_string(judged.size()) + " samples)";

  nn::report::ReportContent c;
  c.history = std::move(history);
  const std::string model_text = st.value("model", "");
  c.subtitle = run.value("data_description", "") + " \u2014 " + model_text + " (" +
               std::to_string(run.value("parameters", int64_t{0})) + " parameters)";
  const auto& h = c.history;
  auto pct = [](double v) { return std::isfinite(v) ? fmt("%.2f%%", 100.0 * v) : std::string("n/a"); };
  auto val4 = [](double v) { return std::isfinite(v) ? fmt("%.4f", v) : std::string("n/a"); };
  if (!h.empty()) {
    const auto& last = h.back();
    c.summary.emplace_back("epochs run", std::to_string(h.size()) + (h.stop_reason.empty() ? "" : " (stopped early: " + h.stop_reason + ")"));
    c.summary.emplace_back("final training loss", val4(last.train_loss));
    if (std::isfinite(last.train_accuracy)) c.summary.emplace_back("final training accuracy", pct(last.train_accuracy));
    if (last.has_validation()) {
      c.summary.emplace_back("final validation loss", val4(last.val_loss));
      if (std::isfinite(last.val_accuracy)) c.summary.emplace_back("final validation accuracy", pct(last.val_accuracy));
    }
  }

  if (judged.is_classification()) {
    fit_input(judged, l, judged.name);
    auto loss = make_loss(l.loss);
    const auto ev = nn::train::evaluate(*l.m.model, *loss, judged, {.batch_size = 1000});
    c.confusion = nn::train::confusion_matrix(ev.predictions, nn::Labels(judged.labels()), judged.num_classes());
    c.class_names = judged.class_names;
    c.evaluated_on = judged_on;
    c.summary.emplace_back("loss on the " + judged_on, val4(ev.loss));
    c.summary.emplace_back("accuracy on the " + judged_on, pct(ev.accuracy));
    if (run.value("images", false) || judged.sample_shape().rank() >= 2)
      c.images = nn::report::image_grid(judged, ev.predictions,
                                        {.title = "Predictions on the first 64 images of the " + judged_on,
                                         .class_names = judged.class_names});
  }
  if (raw_points && l.m.input_shape.numel() == 2) {
    nn::report::DecisionRegionOptions o;
    o.title = "Decision regions (predicted class) and data";
    c.regions = nn::report::decision_regions(grid_classifier(l), *raw_points, o);
  }

  auto text = [](const json& v) {
    if (v.is_null()) return std::string("-");
    if (v.is_string()) return v.get<std::string>().empty() ? std::string("-") : v.get<std::string>();
    return v.dump();
  };
  for (const char* key : {"data", "data_dir", "label_column", "model", "init", "loss", "scale", "epochs", "batch_size",
                          "optimizer", "lr", "momentum", "nesterov", "weight_decay", "scheduler", "val_split",
                          "stratify", "patience", "seed", "threads"})
    if (st.contains(key)) c.settings.emplace_back(key, text(st[key]));
  c.settings.emplace_back("training samples", text(run.value("train_samples", json(nullptr))));
  c.settings.emplace_back("validation samples", text(run.value("val_samples", json(nullptr))));
  c.settings.emplace_back("nn version", run.value("nn_version", "?"));
  c.settings.emplace_back("finished", run.value("finished", "?"));

  const json timing = run.value("timing", json::object());
  const double total = timing.value("train_seconds", 0.0);
  c.timing.emplace_back("training time", fmt("%.2f s", total));
  if (!h.empty()) {
    c.timing.emplace_back("mean epoch time", fmt("%.3f s", total / static_cast<double>(h.size())));
    double sps = 0.0;
    for (const auto& r : h.epochs) sps += std::isfinite(r.samples_per_second) ? r.samples_per_second : 0.0;
    c.timing.emplace_back("mean training speed", fmt("%.0f samples/s", sps / static_cast<double>(h.size())));
    std::string per_epoch;
    for (const auto& r : h.epochs) per_epoch += (per_epoch.empty() ? "" : ", ") + fmt("%.2f", r.seconds);
    if (h.size() <= 30) c.timing.emplace_back("seconds per epoch", per_epoch);
  }
  c.timing.emplace_back("threads", text(st.value("threads", json(nullptr))));

  const auto written = nn::report::write_report(out_dir, c);
  std::printf("report written to %s\n", written.back().string().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nn: train, evaluate and use neural networks from the command line"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.footer(nn::cli::data_spec_help());

  TrainArgs t;
  auto* train = app.add_subcommand("train", "Train a model and report its accuracy");
  train->add_option("--data", t.data, "Data spec (see below)")->capture_default_str();
  train->add_option("--data-dir", t.data_dir, "Folder of the Fashion-MNIST files");
  train->add_option("--label-column", t.label_column, "CSV label column (name or 0-based index; default: last)");
  train->add_option("--model", t.model,
                    "Layers, e.g. linear:128,relu,linear:10, or a JSON file; or perceptron, adaline, adaline-sgd")->capture_default_str();
  train->add_option("--init", t.init, "Weight init of layers that name none: xavier, he, he_leaky, normal, uniform")
      ->capture_default_str();
  train->add_option("--epochs", t.epochs, "Epochs")->capture_default_str();
  train->add_option("--batch-size", t.batch_size, "Mini-batch size")->capture_default_str();
  train->add_option("--optimizer", t.optimizer, "sgd, adam or adamw")->capture_default_str();
  train->add_option("--lr", t.lr, "Learning rate (default: 0.01 for sgd, 0.001 for adam/adamw)");
  train->add_option("--momentum", t.momentum, "SGD momentum")->capture_default_str();
  train->add_flag("--nesterov", t.nesterov, "SGD with Nesterov momentum");
  train->add_option("--weight-decay", t.weight_decay, "Weight decay (L2 for sgd/adam, decoupled for adamw)")
      ->capture_default_str();
  train->add_option("--scheduler", t.scheduler,
                    "none, step:STEP[:GAMMA], multistep:M1/M2[:GAMMA], exp:GAMMA, cosine[:T_MAX[:ETA_MIN]]")
      ->capture_default_str();
  train->add_option("--loss", t.loss, "cross-entropy (softmax fused), nll-probs, mse, bce, bce-logits")
      ->capture_default_str();
  train->add_option("--scale", t.scale, "Input scaling fitted on the training part: auto, standard, minmax, none")
      ->capture_default_str();
  train->add_option("--val-split", t.val_split, "Fraction of the training data held out for validation")
      ->capture_default_str();
  train->add_option("--seed", t.seed, "Seed of all randomness")->capture_default_str();
  train->add_option("--threads", t.threads, "Threads (0: all cores)")->capture_default_str();
  train->add_option("--metrics-out", t.metrics_out, "Write per-epoch metrics as JSON Lines to FILE");
  train->add_option("--save", t.save, "Save the trained model (safetensors) to FILE");
  train->add_option("--patience", t.patience, "Stop after this many epochs without improvement (0: never)")
      ->capture_default_str();
  train->add_flag("--quiet", t.quiet, "Print only the result");
  train->add_flag("--progress-lines", t.progress_lines, "One line per epoch even on a terminal");
  train->add_option("--checkpoint-dir", t.checkpoint_dir,
                    "Write checkpoints DIR/last.safetensors (every epoch end) and DIR/best.safetensors");
  train->add_option("--checkpoint-every", t.checkpoint_every, "Also write DIR/last.safetensors every N batches");
  train->add_option("--resume", t.resume, "Resume exactly from a checkpoint file, or DIR meaning DIR/last.safetensors");
  train->add_option("--log-steps", t.log_steps, "Write 'STEP LOSS' per optimizer step to FILE (appends on --resume)");
  train->add_option("--debug-kill-at-step", t.debug_kill_at_step)->group("");
  train->add_option("--debug-kill-in-save", t.debug_kill_in_save)->group("");
  train->add_option("--report", t.report_dir,
                    "Write a run folder to DIR: report.html with pictures, metrics.jsonl, model.safetensors, run.json");

  std::string model_path, data_spec = "fashion-mnist:test", data_dir, input, output, spec, input_shape;
  // A plain state dict (PyTorch's safetensors.torch.save_file) has no architecture: --model gives it.
  auto add_spec_options = [&](CLI::App* cmd) {
    auto* m = cmd->add_option("--model", spec, "MODEL is a plain state dict (e.g. saved by PyTorch) of these layers "
                                               "(as nn train --model)");
    cmd->add_option("--input-shape", input_shape, "With --model: one sample's shape, e.g. 1,28,28 (default: the "
                                                  "first linear layer's input size)")->needs(m);
  };
  bool as_json = false;
  int threads = 0;
  auto* eval = app.add_subcommand("eval", "Evaluate a saved model: loss, accuracy, per-class metrics");
  eval->add_option("MODEL", model_path, "Model file written by nn train --save")->required();
  eval->add_option("--data", data_spec, "Data spec")->capture_default_str();
  eval->add_option("--data-dir", data_dir, "Folder of the Fashion-MNIST files");
  eval->add_flag("--json", as_json, "Print one JSON object");
  eval->add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str();
  add_spec_options(eval);

  auto* predict = app.add_subcommand("predict", "Run a saved model on inputs");
  predict->add_option("MODEL", model_path, "Model file")->required();
  predict->add_option("--input", input, "Samples as .npy [N, ...]")->required();
  predict->add_option("--output", output, "Write the raw outputs [N, C] as .npy (default: print classes)");
  predict->add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str();
  add_spec_options(predict);

  auto* info = app.add_subcommand("info", "Describe a saved model or checkpoint");
  info->add_option("MODEL", model_path, "Model or checkpoint file")->required();

  std::string run_dir, report_out;
  auto* report = app.add_subcommand("report", "Write report.html (curves, confusion matrix, pictures) for a run folder");
  report->add_option("RUN_DIR", run_dir, "Folder written by nn train --report")->required();
  report->add_option("--out", report_out, "Write the report and pictures here (default: RUN_DIR)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (*train) return run_train(t);
    if (*eval) return run_eval(model_path, data_spec, data_dir, as_json, threads, spec, input_shape);
    if (*predict) return run_predict(model_path, input, output, threads, spec, input_shape);
    if (*info) return run_info(model_path);
    if (*report) return run_report(run_dir, report_out.empty() ? run_dir : report_out);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "nn: error: %s\n", msg.c_str());
    return 1;
  }
  return 2;
}
