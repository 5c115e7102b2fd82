#include "options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"

namespace nn::cli {

namespace {

// ---- the tables ------------------------------------------------------------------------------------

struct LossEntry {
  const char* name;
  const char* note;  // shown in parentheses in the help
  bool listed;       // false: an alias that help and errors do not name
  std::unique_ptr<Loss> (*make)();
};

template <class L>
std::unique_ptr<Loss> make() {
  return std::make_unique<L>();
}

const LossEntry kLosses[] = {
    {"cross-entropy", "softmax fused", true, make<SoftmaxCrossEntropyLoss>},
    {"softmax-ce", "", false, make<SoftmaxCrossEntropyLoss>},
    {"nll-probs", "", true, make<CrossEntropyLoss>},
    {"mse", "", true, make<MSELoss>},
    {"bce", "", true, make<BCELoss>},
    {"bce-logits", "", true, make<BCEWithLogitsLoss>},
};

struct OptimizerEntry {
  const char* name;
  double default_lr;
  std::unique_ptr<Optimizer> (*make)(std::vector<Parameter*> params, float lr, const TrainOptions& o);
};

float f32(double v) { return static_cast<float>(v); }

const OptimizerEntry kOptimizers[] = {
    {"sgd", 0.01,
     [](std::vector<Parameter*> p, float lr, const TrainOptions& o) -> std::unique_ptr<Optimizer> {
       return std::make_unique<SGD>(std::move(p), SGDOptions{.lr = lr, .momentum = f32(o.momentum),
                                                             .weight_decay = f32(o.weight_decay),
                                                             .nesterov = o.nesterov});
     }},
    {"adam", 1e-3,
     [](std::vector<Parameter*> p, float lr, const TrainOptions& o) -> std::unique_ptr<Optimizer> {
       return std::make_unique<Adam>(std::move(p), AdamOptions{.lr = lr, .weight_decay = f32(o.weight_decay)});
     }},
    {"adamw", 1e-3,
     [](std::vector<Parameter*> p, float lr, const TrainOptions& o) -> std::unique_ptr<Optimizer> {
       return std::make_unique<AdamW>(std::move(p), AdamWOptions{.lr = lr, .weight_decay = f32(o.weight_decay)});
     }},
};

// A scheduler spec split at ':' ("step:5:0.5" -> step, 5, 0.5).
struct SchedulerSpec {
  std::string text;
  std::vector<std::string> parts;
  double number(size_t i, double fallback) const {
    if (parts.size() <= i) return fallback;
    try {
      size_t used = 0;
      const double v = std::stod(parts[i], &used);
      if (used == parts[i].size()) return v;
    } catch (const std::logic_error&) {
    }
    fail("scheduler '", text, "': expected a number, found '", parts[i], "'");
  }
};

struct SchedulerEntry {
  const char* name;
  const char* usage;
  size_t min_parts, max_parts;  // the name included
  std::unique_ptr<Scheduler> (*make)(const SchedulerSpec& s, Optimizer& opt, int64_t epochs);
};

const SchedulerEntry kSchedulers[] = {
    {"step", "step:STEP[:GAMMA]", 2, 3,
     [](const SchedulerSpec& s, Optimizer& opt, int64_t) -> std::unique_ptr<Scheduler> {
       return std::make_unique<StepLR>(opt, static_cast<int64_t>(s.number(1, 1)), f32(s.number(2, 0.1)));
     }},
    {"multistep", "multistep:M1/M2[:GAMMA]", 2, 3,
     [](const SchedulerSpec& s, Optimizer& opt, int64_t) -> std::unique_ptr<Scheduler> {
       std::vector<int64_t> milestones;
       std::stringstream ms(s.parts[1]);
       for (std::string m; std::getline(ms, m, '/');) {
         try {
           milestones.push_back(std::stoll(m));
         } catch (const std::logic_error&) {
           fail("scheduler '", s.text, "': expected milestones like 5/10/15, found '", s.parts[1], "'");
         }
       }
       return std::make_unique<MultiStepLR>(opt, milestones, f32(s.number(2, 0.1)));
     }},
    {"exp", "exp:GAMMA", 2, 2,
     [](const SchedulerSpec& s, Optimizer& opt, int64_t) -> std::unique_ptr<Scheduler> {
       return std::make_unique<ExponentialLR>(opt, f32(s.number(1, 0)));
     }},
    {"cosine", "cosine[:T_MAX[:ETA_MIN]]", 1, 3,
     [](const SchedulerSpec& s, Optimizer& opt, int64_t epochs) -> std::unique_ptr<Scheduler> {
       return std::make_unique<CosineAnnealingLR>(opt, static_cast<int64_t>(s.number(1, static_cast<double>(epochs))),
                                                  f32(s.number(2, 0.0)));
     }},
};

// "a, b, c" (last = ", ") or "a, b or c" (last = " or ").
std::string join(const std::vector<std::string>& items, const char* last = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : i + 1 == items.size() ? last : ", ") + items[i];
  return out;
}

std::vector<std::string> loss_names(bool with_notes) {
  std::vector<std::string> out;
  for (const auto& e : kLosses)
    if (e.listed) out.push_back(std::string(e.name) + (with_notes && *e.note ? std::string(" (") + e.note + ")" : ""));
  return out;
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> out;
  for (const auto& e : kOptimizers) out.emplace_back(e.name);
  return out;
}

std::vector<std::string> scheduler_usages() {
  std::vector<std::string> out;
  for (const auto& e : kSchedulers) out.emplace_back(e.usage);
  return out;
}

// "0.01 for sgd, 0.001 for adam/adamw": optimizers of the same default rate grouped.
std::string default_rates() {
  std::vector<std::string> groups;
  double rate = -1;
  std::string names;
  auto flush = [&] {
    if (names.empty()) return;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", rate);
    groups.push_back(std::string(buf) + " for " + names);
  };
  for (const auto& e : kOptimizers) {
    if (e.default_lr != rate) {
      flush();
      rate = e.default_lr;
      names.clear();
    }
    names += (names.empty() ? "" : "/") + std::string(e.name);
  }
  flush();
  return join(groups);
}

// ---- flags more than one subcommand has ------------------------------------------------------------

// Checks of a flag's text before CLI11 converts it, so that "-1" for an unsigned seed or "nan" for a
// rate is refused, not wrapped or let through. CLI11 reports "--flag: <message>", a usage error.
CLI::Validator integer_at_least(int64_t low) {
  return CLI::Validator(
      [low](std::string& text) -> std::string {
        int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || end != text.data() + text.size() || v < low)
          return "expected an integer >= " + std::to_string(low) + ", found '" + text + "'";
        return {};
      },
      "INT>=" + std::to_string(low));
}

// A finite number > low (strict) or >= low, and below `high` when it is given.
CLI::Validator number_in(double low, bool strict, double high = std::numeric_limits<double>::infinity()) {
  char bound[64];
  std::snprintf(bound, sizeof bound, "%g", low);
  std::string want = std::string("a number ") + (strict ? "> " : ">= ") + bound;
  if (std::isfinite(high)) {
    std::snprintf(bound, sizeof bound, "%g", high);
    want += std::string(" and < ") + bound;
  }
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool ok = !text.empty() && end == text.c_str() + text.size() && std::isfinite(v) &&
                        (strict ? v > low : v >= low) && v < high;
        return ok ? std::string() : "expected " + want + ", found '" + text + "'";
      },
      "NUMBER");
}

// A seed: a whole number in [0, 2^64).
CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size())
          return "expected an integer in [0, 2^64), found '" + text + "'";
        return {};
      },
      "UINT64");
}

void add_threads(CLI::App& sub, int& threads) {
  sub.add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str()->check(integer_at_least(0));
}

void add_data(CLI::App& sub, std::string& data, std::string& data_dir, const char* help) {
  sub.add_option("--data", data, help)->capture_default_str();
  sub.add_option("--data-dir", data_dir, "Folder of the Fashion-MNIST files");
}

}  // namespace

std::unique_ptr<Loss> make_loss(const std::string& name) {
  for (const auto& e : kLosses)
    if (name == e.name) return e.make();
  fail("unknown loss '", name, "' (expected ", join(loss_names(false)), ")");
}

std::unique_ptr<Optimizer> make_optimizer(const TrainOptions& o, std::vector<Parameter*> params) {
  for (const auto& e : kOptimizers)
    if (o.optimizer == e.name) return e.make(std::move(params), f32(o.lr < 0 ? e.default_lr : o.lr), o);
  fail("unknown optimizer '", o.optimizer, "' (expected ", join(optimizer_names()), ")");
}

std::unique_ptr<Scheduler> make_scheduler(const std::string& spec, Optimizer& optimizer, int64_t epochs) {
  if (spec.empty() || spec == "none") return nullptr;
  SchedulerSpec s{spec, {}};
  std::stringstream in(spec);
  for (std::string p; std::getline(in, p, ':');) s.parts.push_back(p);
  for (const auto& e : kSchedulers)
    if (s.parts[0] == e.name && s.parts.size() >= e.min_parts && s.parts.size() <= e.max_parts)
      return e.make(s, optimizer, epochs);
  fail("unknown scheduler '", spec, "' (expected ", join(scheduler_usages()), " or none)");
}

void add_train_options(CLI::App& sub, TrainOptions& o) {
  sub.add_option("--data", o.data, "Data spec (required; see below), e.g. fashion-mnist, moons, csv:FILE");
  sub.add_option("--data-dir", o.data_dir, "Folder of the Fashion-MNIST files");
  sub.add_option("--label-column", o.label_column, "CSV label column (name or 0-based index; default: last)");
  sub.add_option("--model", o.model,
                 "Layers, e.g. linear:128,relu,linear:10, or a JSON file; or perceptron, adaline, adaline-sgd "
                 "(default: " + std::string(kDefaultModel) + "N, N the number of classes of the data)");
  sub.add_option("--init", o.init, "Weight init of layers that name none: xavier, he, he_leaky, normal, uniform")
      ->capture_default_str();
  sub.add_option("--epochs", o.epochs, "Epochs")->capture_default_str()->check(integer_at_least(1));
  sub.add_option("--batch-size", o.batch_size, "Mini-batch size (under mpirun -np N: the global batch, split over the N processes)")->capture_default_str()->check(integer_at_least(1));
  sub.add_option("--optimizer", o.optimizer, join(optimizer_names(), " or "))->capture_default_str();
  sub.add_option("--lr", o.lr, "Learning rate (default: " + default_rates() + ")")->check(number_in(0, true));
  sub.add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str()->check(number_in(0, false));
  sub.add_flag("--nesterov", o.nesterov, "SGD with Nesterov momentum");
  sub.add_option("--weight-decay", o.weight_decay, "Weight decay (L2 for sgd/adam, decoupled for adamw)")
      ->capture_default_str()
      ->check(number_in(0, false));
  sub.add_option("--scheduler", o.scheduler, "none, " + join(scheduler_usages()))->capture_default_str();
  sub.add_option("--loss", o.loss, join(loss_names(true)))->capture_default_str();
  sub.add_option("--scale", o.scale, "Input scaling fitted on the training part: auto (images onto [0, 1], other data standard), standard (per "
                 "feature), minmax (per feature onto [0, 1]), range (all values onto [0, 1]), none")
      ->capture_default_str();
  sub.add_option("--val-split", o.val_split, "Fraction of the training data held out for validation")
      ->capture_default_str()
      ->check(number_in(0, false, 1));
  sub.add_option("--seed", o.seed, "Seed of all randomness")->capture_default_str()->check(seed_value());
  add_threads(sub, o.threads);
  sub.add_option("--device", o.device,
                 "Where to train: cpu, cuda (the first GPU), cuda:N, or auto (a GPU when there is one, else the CPU)")
      ->capture_default_str();
  sub.add_flag("!--no-cuda-graphs", o.cuda_graphs,
               "On a GPU, launch every kernel of a step instead of replaying the step as one CUDA graph");
  sub.add_option("--metrics-out", o.metrics_out, "Write per-epoch metrics as JSON Lines to FILE");
  sub.add_option("--save", o.save, "Save the trained model (safetensors) to FILE");
  sub.add_option("--patience", o.patience, "Stop after this many epochs without improvement (0: never)")
      ->capture_default_str()
      ->check(integer_at_least(0));
  sub.add_option("--clip-grad-norm", o.clip_grad_norm,
                 "Clip the total 2-norm of all gradients to this value before each step (default: no clipping)")
      ->check(number_in(0, true));
  sub.add_flag("--quiet", o.quiet, "Print only the result");
  sub.add_flag("--progress-lines", o.progress_lines, "One line per epoch even on a terminal");
  sub.add_option("--checkpoint-dir", o.checkpoint_dir,
                 "Write checkpoints DIR/last.safetensors (every epoch end) and DIR/best.safetensors");
  sub.add_option("--checkpoint-every", o.checkpoint_every, "Also write DIR/last.safetensors every N batches")
      ->check(integer_at_least(0));
  sub.add_option("--resume", o.resume, "Resume exactly from a checkpoint file, or DIR meaning DIR/last.safetensors");
  sub.add_option("--log-steps", o.log_steps, "Write 'STEP LOSS' per optimizer step to FILE (appends on --resume)");
  sub.add_option("--debug-kill-at-step", o.debug_kill_at_step)->group("");
  sub.add_option("--debug-kill-in-save", o.debug_kill_in_save)->group("");
  sub.add_option("--debug-pause-in-save", o.debug_pause_in_save)->group("");
  sub.add_flag("--json", o.as_json, "Print a JSON summary of the run on stdout at the end (instead of the result lines)");
  sub.add_option("--report", o.report_dir,
                 "Write a run folder to DIR: report.html with pictures, metrics.jsonl, model.safetensors, run.json");
}

// A plain state dict (PyTorch's safetensors.torch.save_file) has no architecture: --model gives it.
void add_state_dict_options(CLI::App& sub, std::string& spec, std::string& input_shape) {
  auto* m = sub.add_option("--model", spec,
                           "MODEL is a plain state dict (e.g. saved by PyTorch) of these layers (as nn train --model)");
  sub.add_option("--input-shape", input_shape,
                 "With --model: one sample's shape, e.g. 1,28,28 (default: the first linear layer's input size)")
      ->needs(m);
}

void add_eval_options(CLI::App& sub, EvalOptions& o) {
  sub.add_option("MODEL", o.model_path, "Model file written by nn train --save, or an ONNX file (.onnx)")->required();
  add_data(sub, o.data, o.data_dir, "Data spec");
  sub.add_flag("--json", o.as_json, "Print one JSON object");
  add_threads(sub, o.threads);
  add_state_dict_options(sub, o.spec, o.input_shape);
}

void add_predict_options(CLI::App& sub, PredictOptions& o) {
  sub.add_option("MODEL", o.model_path, "Model file, or an ONNX file (.onnx)")->required();
  sub.add_option("--input", o.input, "Samples: .npy [N, ...], .csv (features only, one row each) or IDX images (*idx3-ubyte[.gz])")
      ->required();
  sub.add_option("--output", o.output,
                 "Write the raw outputs [N, C] to FILE: CSV when it ends in .csv, else NPY (default: print each class, with its name when the model has class names)");
  add_threads(sub, o.threads);
  add_state_dict_options(sub, o.spec, o.input_shape);
}

void add_export_options(CLI::App& sub, ExportOptions& o) {
  sub.add_option("MODEL", o.model_path, "Model file written by nn train --save (or a state dict with --model)")
      ->required();
  sub.add_option("--onnx", o.onnx, "Write the model as ONNX to this file")->required();
  sub.add_option("--model", o.spec, "MODEL is a plain state dict (e.g. saved by PyTorch) of these layers");
  sub.add_option("--input-shape", o.input_shape,
                 "One sample's shape, e.g. 1,28,28 (default: the one the model file records)");
}

void add_import_options(CLI::App& sub, ImportOptions& o) {
  sub.add_option("MODEL", o.model_path, "ONNX file (e.g. from torch.onnx.export)")->required();
  sub.add_option("--out", o.out, "Write the model as an nn model file (.safetensors)")->required();
}

// The device --device names: cpu, cuda, cuda:N, or auto (the first GPU when there is one). A GPU
// that this machine lacks is an error before anything is loaded.
Device train_device(const std::string& text) {
  if (text == "auto") return default_device();
  Device d;
  try {
    d = Device::parse(text);
  } catch (const Error&) {
    fail("--device: expected cpu, cuda, cuda:N or auto, found '", text, "'");
  }
  if (d.is_cuda()) {
    NN_CHECK(cuda::built(), "--device ", text, ": this nn was built without CUDA (NN_CUDA=OFF); use --device cpu");
    const int n = cuda::device_count();
    NN_CHECK(d.index() < n, "--device ", text, ": ",
             n == 0 ? std::string("no CUDA device on this machine (no GPU, or no CUDA driver)")
                    : "this machine has " + std::to_string(n) + " CUDA device" + (n == 1 ? "" : "s") + " (cuda:0 to cuda:" +
                          std::to_string(n - 1) + ")",
             "; use --device cpu or --device auto");
  }
  return d;
}
void add_info_options(CLI::App& sub, InfoOptions& o) {
  sub.add_option("MODEL", o.model_path,
                 "Model or checkpoint file, or an ONNX file (.onnx); without one: nn's version and the devices it can use");
}

void add_report_options(CLI::App& sub, ReportOptions& o) {
  sub.add_option("RUN_DIR", o.run_dirs,
                 "Folder written by nn train --report; several folders: one report comparing their curves (needs --out)")
      ->required();
  sub.add_option("--out", o.out_dir, "Write the report and pictures here (default: RUN_DIR)");
}

}  // namespace nn::cli
