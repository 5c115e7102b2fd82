// `nn train` for networks: data, model, optimizer, the Trainer with its callbacks (progress, metrics
// file, early stopping, step log, checkpoints), exact resume, the result line, --save and --report.
#include <csignal>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "distributed.hpp"
#include "interrupt.hpp"
#include "nn/dist/dist.hpp"
#include "nn/dist/grad_allreduce.hpp"
#include "run_logs.hpp"
#include "summary.hpp"
#include "nn/io/append_file.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/model_io.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/nn.hpp"
#include "nn/threads.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/progress.hpp"
#include "nn/train/trainer.hpp"

namespace nn::cli {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// The shape one sample has for the model: images as [1, H, W] for convolutions, flat otherwise.
void shape_for_model(data::Dataset& d, const io::ModelSpec& spec) {
  if (io::expects_images(spec)) {
    if (d.sample_shape().rank() == 1 && d.sample_numel() == 784) d.reshape_samples(Shape{1, 28, 28});
    if (d.sample_shape().rank() == 2) d.reshape_samples(Shape{1, d.sample_shape()[0], d.sample_shape()[1]});
  } else if (d.sample_shape().rank() != 1) {
    d.reshape_samples(Shape{d.sample_numel()});
  }
}

// The model's output size for one sample, from Module::build (no forward, nothing moves).
int64_t output_width(Sequential& model, const data::Dataset& d) {
  const Shape out = model.build(d.sample_shape());
  return out.rank() == 1 ? out[0] : out.numel();
}

// ---- checkpoints and resume ------------------------------------------------------------------------

// FNV-1a 64 of a dataset's samples, labels and targets: a resumed run must see the same data.
std::string data_fingerprint(const data::Dataset& d) {
  uint64_t h = io::fnv1a64(nullptr, 0);
  if (d.is_u8()) {
    h = io::fnv1a64(d.features_u8().data(), d.features_u8().size(), h);
  } else if (d.features().defined()) {
    h = io::fnv1a64(d.features().data(), static_cast<size_t>(d.features().numel()) * sizeof(float), h);
  }
  h = io::fnv1a64(d.labels().data(), d.labels().size() * sizeof(int32_t), h);
  if (d.targets().defined())
    h = io::fnv1a64(d.targets().data(), static_cast<size_t>(d.targets().numel()) * sizeof(float), h);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Everything that must match for an exact resume; not the number of epochs, except where the
// schedule depends on it (cosine without T_MAX).
json resume_settings(const TrainOptions& a, const io::ModelSpec& spec, const Optimizer& optimizer,
                     const data::Dataset& train, const data::Dataset* val) {
  std::string scheduler = a.scheduler;
  if (scheduler == "cosine") scheduler += ":" + std::to_string(a.epochs);
  json settings = {{"model", io::to_compact(spec)},
          {"data", a.data},
          {"label_column", a.label_column},
          {"val_split", a.val_split},
          {"stratify", a.stratify},
          {"scale", a.scale},
          {"data_hash", data_fingerprint(train) + (val ? "/" + data_fingerprint(*val) : std::string())},
          {"loss", a.loss},
          {"optimizer", io::optimizer_settings(optimizer)},
          {"scheduler", scheduler},
          {"batch_size", a.batch_size},
          {"seed", a.seed}};
  // Only when set, so that checkpoints written before the option existed still match.
  if (a.clip_grad_norm > 0.0) settings["clip_grad_norm"] = a.clip_grad_norm;
  return settings;
}

// The flags that name files to write: their folders must exist and the paths must be missing or
// regular files, checked before training so that a bad path costs no training time.
void check_outputs(const TrainOptions& a) {
  for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--save", a.save},
                                   {"--metrics-out", a.metrics_out},
                                   {"--log-steps", a.log_steps}}) {
    if (path.empty()) continue;
    const fs::path p(path);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    std::error_code ec;
    NN_CHECK(fs::is_directory(dir, ec), flag, ": ", path, ": the folder ", dir.string(), " does not exist");
    try {
      io::check_replaceable(p, "write");
    } catch (const Error& e) {
      fail(flag, ": ", e.what());
    }
    // Temporaries of this file that a killed run left behind (".NAME.tmp.XXXXXX").
    io::remove_stale_temporaries(dir, p.filename().string());
  }
}

// --resume: loads the checkpoint, refuses other settings, and puts model, optimizer, scheduler and
// RNG back; the caller resumes fit at (epoch, batch) with its history.
io::CheckpointState resume_from(const TrainOptions& a, const json& settings, Sequential& model,
                                const data::Dataset& train, Optimizer& optimizer, Scheduler* scheduler) {
  const fs::path path = io::resolve_checkpoint_path(a.resume);
  std::error_code ec;
  NN_CHECK(fs::is_regular_file(path, ec), "--resume: no checkpoint at '", path.string(), "'");
  io::CheckpointState ck = io::load_checkpoint(path);
  io::check_resume_settings(ck, settings, path.string());
  NN_CHECK(ck.epoch <= a.epochs, "--resume: ", path.string(), " has finished ", ck.epoch, " epochs; --epochs ",
           a.epochs, " asks for fewer");
  model.build(train.sample_shape());  // layers that infer their input size get their shapes
  io::restore_training_state(ck, model, optimizer, scheduler);
  if (auto it = ck.metadata.find("nn.threads");
      is_root_rank() && it != ck.metadata.end() && it->second != std::to_string(num_threads()))
    std::cerr << "note: the checkpoint was written with " << it->second << " threads, this run uses "
              << num_threads() << "; the results may differ in the last bits from an uninterrupted run\n";
  return ck;
}

// --checkpoint-dir: last and best, with the hidden test hooks that kill the process.
std::unique_ptr<io::CheckpointWriter> make_checkpoint_writer(const TrainOptions& a, const json& settings,
                                                             std::map<std::string, std::string> metadata,
                                                             const InterruptStop& interrupt) {
  io::CheckpointWriterOptions o;
  o.dir = a.checkpoint_dir;
  o.every_batches = a.checkpoint_every;
  o.settings = settings;
  o.metadata = std::move(metadata);
  o.write_now = [&interrupt] { return interrupt.stop_requested(); };
  if (a.debug_kill_at_step > 0)
    o.after_write = [step = a.debug_kill_at_step](const fs::path&, const io::CheckpointState& st) {
      if (st.step == step) std::raise(SIGKILL);
    };
  if (a.debug_kill_in_save > 0)
    o.before_rename = [step = a.debug_kill_in_save](const fs::path&, const io::CheckpointState& st) {
      if (st.step == step) std::raise(SIGKILL);
    };
  if (a.debug_pause_in_save > 0)
    o.before_rename = [step = a.debug_pause_in_save](const fs::path&, const io::CheckpointState& st) {
      if (st.step != step) return;
      std::fprintf(stderr, "debug: pausing in the save of step %lld\n", static_cast<long long>(st.step));
      for (int i = 0; i < 300; ++i) ::usleep(100000);  // 30 s, for a test's signals
    };
  return std::make_unique<io::CheckpointWriter>(std::move(o));
}

}  // namespace

std::map<std::string, std::string> model_metadata(const TrainOptions& o, const data::Dataset& train) {
  std::map<std::string, std::string> m{{"nn.data", o.data}, {"nn.loss", o.loss}, {"nn.version", kVersion}};
  if (!train.class_names.empty()) m["nn.class_names"] = json(train.class_names).dump(-1, ' ', false, json::error_handler_t::replace);
  return m;
}

int run_train(const TrainOptions& options) {
  check_data_parallel(options);
  // Under mpirun every rank trains; rank 0 alone prints and writes (metrics, checkpoints, model,
  // report, step log): the others run with those outputs off.
  const TrainOptions a = is_root_rank() ? options : options.without_outputs();
  if (is_root_rank()) check_outputs(a);
  const Device device = train_device(a.device);
  NN_CHECK(!is_classic(a.model) || device.is_cpu(), "--device ", a.device, ": ", a.model,
           " trains on the CPU only; use --device cpu");
  if (is_classic(a.model)) return run_classic(a);
  install_interrupt_handlers();
  set_num_threads(a.threads);
  manual_seed(a.seed);
  std::ostream& log = std::cerr;

  LoadedData loaded = load_data(a.data, {.data_dir = a.data_dir, .label_column = a.label_column});
  // Without --model: the default layers, their output layer as wide as the data needs.
  std::string model_text = a.model;
  if (model_text.empty()) {
    const data::Dataset& d = loaded.train;
    const int64_t outputs = d.is_classification() ? d.num_classes()
                            : d.targets().rank() >= 2 ? d.targets().numel() / d.targets().dim(0)
                                                      : 1;
    model_text = std::string(kDefaultModel) + std::to_string(std::max<int64_t>(outputs, 1));
  }
  io::ModelSpec spec =
      model_text.ends_with(".json") ? io::read_model_spec_file(model_text) : io::parse_model_spec(model_text);
  std::unique_ptr<Sequential> model = io::build_model(spec, {.default_init = parse_init(a.init)});
  auto loss = make_loss(a.loss);
  NN_CHECK(a.epochs > 0, "--epochs: expected a positive number, found ", a.epochs);
  NN_CHECK(a.batch_size > 0, "--batch-size: expected a positive number, found ", a.batch_size);

  // Scaling: images come as uint8 and are mapped to [0, 1] when batched; other data is
  // standardised with statistics of the training part only.
  // The report's decision regions need the 2-D points as loaded.
  PreparedData prepared = prepare_data(std::move(loaded), {.val_split = a.val_split,
                                                           .seed = a.seed,
                                                           .stratify = a.stratify,
                                                           .scale = a.scale,
                                                           .keep_raw_points = !a.report_dir.empty()});
  data::Dataset& train = prepared.train;
  data::Dataset* val = prepared.has_val ? &prepared.val : nullptr;
  std::optional<data::Dataset>& test = prepared.test;
  shape_for_model(train, spec);
  if (val) shape_for_model(*val, spec);
  if (test) shape_for_model(*test, spec);

  if (train.is_classification()) {
    const int64_t outputs = output_width(*model, train);
    const bool binary_single = outputs == 1 && train.num_classes() <= 2;
    // One output per class (or a single output for two classes): more outputs than classes would
    // train scores for classes the data never has, fewer could not represent them.
    NN_CHECK(binary_single || outputs == train.num_classes(), "model: the last layer has ", outputs,
             " outputs but ", train.name, " has ", train.num_classes(), " classes (labels 0..", train.num_classes() - 1,
             "); expected ", train.num_classes(), train.num_classes() <= 2 ? " or 1" : "", " outputs");
  }
  model->set_input_grad(false);  // no gradient for the data itself
  auto optimizer = make_optimizer(a, model->parameters());
  auto scheduler = make_scheduler(a.scheduler, *optimizer, a.epochs);
  NN_CHECK(a.checkpoint_every >= 0, "--checkpoint-every: expected a number of batches >= 0, found ", a.checkpoint_every);
  NN_CHECK(a.checkpoint_every == 0 || !a.checkpoint_dir.empty(), "--checkpoint-every needs --checkpoint-dir");
  const json settings = resume_settings(a, spec, *optimizer, train, val);
  std::optional<io::CheckpointState> resumed;
  if (!a.resume.empty()) resumed = resume_from(a, settings, *model, train, *optimizer, scheduler.get());
  // Data-parallel: every rank starts from rank 0's weights and averages the gradients of each batch.
  model->build(train.sample_shape());
  dist::GradientAllReduce gradient_sync(model->parameters());
  gradient_sync.broadcast_parameters(*model);
  // On a GPU: the weights, their gradients, the buffers and the optimizer's state (a resumed run's
  // included) move there; the files written stay the same as from the CPU.
  NN_CHECK(device.is_cpu() || dist::size() == 1, "--device ", device.str(),
           ": data-parallel training (mpirun) runs on the CPU; use --device cpu");
  model->to(device);
  optimizer->to(device);

  if (!a.quiet) {
    log << "data:  " << prepared.description << "; training on " << train.size()
        << (val ? ", validating on " + std::to_string(val->size()) : std::string()) << "\n";
    log << "model: " << io::to_compact(spec) << " (" << parameter_count(*model) << " parameters)\n";
    log << "train: " << a.epochs << " epochs, batch " << a.batch_size << ", " << optimizer->type_name() << " lr "
        << optimizer->lr() << ", loss " << loss->type_name() << ", " << num_threads() << " threads"
        << (dist::size() > 1 ? " on each of " + std::to_string(dist::size()) + " ranks" : std::string()) << ", seed "
        << a.seed << "\n";
    if (device.is_cuda()) log << "device: " << device.str() << "\n";
  }

  train::Trainer trainer;
  if (dist::size() > 1) trainer.set_gradient_sync(&gradient_sync);
  // First, so that the checkpoint writer sees its stop in the same batch.
  InterruptStop interrupt;
  trainer.add_callback(interrupt);
  train::ProgressReporter progress(
      log, {.mode = a.quiet ? train::ProgressMode::quiet
                            : (a.progress_lines ? train::ProgressMode::lines : train::ProgressMode::automatic)});
  trainer.add_callback(progress);
  train::History start;
  if (resumed) start = std::move(resumed->history);
  std::unique_ptr<MetricsLog> metrics;
  if (!a.metrics_out.empty()) {
    metrics = std::make_unique<MetricsLog>(a.metrics_out, start, !resumed);
    trainer.add_callback(*metrics);
  }
  std::unique_ptr<train::EarlyStopping> early;
  if (a.patience > 0) {
    early = std::make_unique<train::EarlyStopping>(train::EarlyStoppingOptions{
        .monitor = val ? "val_loss" : "train_loss", .patience = a.patience, .restore_best_weights = true});
    trainer.add_callback(*early);
  }
  std::unique_ptr<StepLog> step_log;
  if (!a.log_steps.empty()) {
    step_log = std::make_unique<StepLog>(a.log_steps, resumed ? std::optional<int64_t>(resumed->step) : std::nullopt);
    trainer.add_callback(*step_log);
  }
  std::unique_ptr<io::CheckpointWriter> checkpoints;
  if (!a.checkpoint_dir.empty()) {
    std::map<std::string, std::string> meta{{"nn.threads", std::to_string(num_threads())}, {"nn.version", kVersion}};
    io::put_scaler(meta, prepared.scaler);
    checkpoints = make_checkpoint_writer(a, settings, std::move(meta), interrupt);
    if (resumed) checkpoints->set_best(resumed->best, resumed->best_epoch);
    trainer.add_callback(*checkpoints);
  }
  train::FitOptions fit{.epochs = a.epochs,
                        .batch_size = a.batch_size,
                        .seed = a.seed,
                        .clip_grad_norm = static_cast<float>(a.clip_grad_norm),
                        .cuda_graphs = a.cuda_graphs};
  if (resumed) {
    fit.start_epoch = resumed->epoch;
    fit.start_batch = resumed->batch;
    if (!a.quiet)
      log << "resume: from " << io::resolve_checkpoint_path(a.resume).string() << " at epoch " << fit.start_epoch + 1
          << ", batch " << fit.start_batch + 1 << " (step " << resumed->step << ")\n";
  }
  // A run that ends with an error leaves no fresh log and no model (nothing is saved then).
  auto discard_logs = [&] {
    if (step_log) step_log->discard();
    if (metrics) metrics->discard();
  };
  if (const int sig = interrupt_signal()) {  // a signal before training began: nothing to keep
    discard_logs();
    std::fprintf(stderr, "nn: interrupted by %s before training began; nothing was written\n",
                 signal_name(sig).c_str());
    return 128 + sig;
  }
  train::History history;
  try {
    history = trainer.fit(*model, *loss, *optimizer, train, val, fit, scheduler.get(), std::move(start));
    if (step_log) step_log->close();
    if (metrics) metrics->close();
  } catch (...) {
    discard_logs();
    throw;
  }
  const int sig = interrupt_signal();
  if (!history.stop_reason.empty() && !a.quiet && sig == 0) log << "stopped early: " << history.stop_reason << "\n";
  if (device.is_cuda() && !a.quiet) log << "steps: " << trainer.step_mode() << "\n";

  TrainSummary summary;
  for (const auto& r : history.epochs) summary.seconds += r.seconds;
  summary.steps = trainer.step_mode();
  // Collective under mpirun: every rank evaluates the test set, or none does (a signal that
  // reached one rank only still skips it everywhere).
  const bool interrupted = dist::any(sig != 0);
  if (test && !interrupted) {
    const auto ev = train::evaluate(*model, *loss, *test, {.batch_size = 1000, .across_ranks = true});
    summary.test = ev;
    if (!a.as_json && is_root_rank())
      std::printf("test: loss %.4f, accuracy %.2f%% on %lld samples of %s (training took %.1f s)\n", ev.loss,
                  100.0 * ev.accuracy, static_cast<long long>(ev.samples), test->name.c_str(), summary.seconds);
  } else if (!history.empty() && !a.as_json) {
    const auto& last = history.back();
    if (!is_root_rank()) {
    } else if (val)
      std::printf("validation: loss %.4f, accuracy %.2f%% (training took %.1f s)\n", last.val_loss,
                  100.0 * last.val_accuracy, summary.seconds);
    else
      std::printf("train: loss %.4f, accuracy %.2f%% (training took %.1f s)\n", last.train_loss,
                  100.0 * last.train_accuracy, summary.seconds);
  }
  std::vector<std::string> kept;
  if (!a.save.empty()) {
    try {
      io::SaveOptions so;
      const auto dims = train.sample_shape().dims();
      so.input_shape.assign(dims.begin(), dims.end());
      so.metadata = model_metadata(a, train);
      io::save_with_scaler(*model, prepared.scaler, a.save, std::move(so));
    } catch (...) {
      if (sig == 0) discard_logs();  // a failed save: the run's metrics go with it
      throw;
    }
    if (sig == 0 && !a.as_json) std::printf("model saved to %s\n", a.save.c_str());
    kept.push_back("model " + a.save);
  }
  if (metrics) kept.push_back("metrics " + a.metrics_out + " (" + std::to_string(metrics->lines()) +
                                 (metrics->lines() == 1 ? " epoch)" : " epochs)"));
  if (step_log) kept.push_back("step log " + a.log_steps);
  if (!a.report_dir.empty() && !history.empty()) {
    model->to(Device::cpu());  // the report's pictures run the model on host tensors
    write_train_report(a, std::move(model), *optimizer, prepared, history);
    kept.push_back("report " + a.report_dir);
  }
  if (a.as_json && is_root_rank()) {
    summary.interrupted = sig != 0 ? signal_name(sig) : std::string();
    std::printf("%s\n", train_summary_json(a, history, summary).c_str());
  }
  std::fflush(stdout);
  if (sig != 0 && !is_root_rank()) return 128 + sig;  // rank 0 says what was kept
  if (sig != 0) {
    if (checkpoints && checkpoints->writes() > 0)
      kept.insert(kept.begin(), "checkpoint " + io::CheckpointWriter::last_path(a.checkpoint_dir).string() +
                                    " (continue with --resume " + a.checkpoint_dir + ")");
    std::string line = "nn: interrupted by " + signal_name(sig) + " at " + interrupt.position() + "; kept: ";
    for (size_t i = 0; i < kept.size(); ++i) line += (i ? ", " : "") + kept[i];
    if (kept.empty()) line += "nothing (no --checkpoint-dir, --save, --metrics-out or --report)";
    std::fprintf(stderr, "%s\n", line.c_str());
    return 128 + sig;
  }
  return 0;
}

}  // namespace nn::cli
