// The options of every `nn` subcommand, the flags they share, and the tables of losses, optimizers
// and schedulers (name -> factory; the help texts and error messages are made from the tables).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nn/layers/module.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/version.hpp"

namespace nn::cli {

inline constexpr const char* kVersion = NN_VERSION_STRING;

// The layers `nn train` uses when --model is not given; the last linear layer's width (the number of
// classes, or of regression targets) is appended from the data.
inline constexpr const char* kDefaultModel = "linear:128,relu,linear:32,relu,linear:";

struct TrainOptions {
  std::string data;  // required (main says so with an example)
  std::string data_dir;
  std::string label_column;
  std::string model;  // empty: kDefaultModel with an output layer as wide as the data needs
  std::string init = "he";
  int64_t epochs = 15;
  int64_t batch_size = 64;
  std::string optimizer = "adam";
  double lr = -1;  // per optimizer default
  double momentum = 0.9;
  double weight_decay = 0.0;
  double clip_grad_norm = 0.0;  // 0: no clipping
  bool nesterov = false;
  std::string scheduler = "none";
  std::string loss = "cross-entropy";
  std::string scale = "auto";
  double val_split = 0.1;
  bool stratify = true;
  uint64_t seed = 42;
  int threads = 0;
  std::string device = "cpu";  // --device: cpu, cuda, cuda:N or auto
  bool cuda_graphs = true;     // --no-cuda-graphs turns whole-step graphs off
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
  int64_t debug_pause_in_save = 0; // hidden: sleep 30 s while saving this step's checkpoint (signal tests)
  bool as_json = false;            // --json: one JSON summary on stdout instead of the result lines
  std::string report_dir;          // --report DIR: a run folder with report.html

  // The same run with nothing printed or written (metrics, model, checkpoints, step log, report):
  // what the ranks but rank 0 of a data-parallel run train with.
  TrainOptions without_outputs() const {
    TrainOptions o = *this;
    o.quiet = true;
    o.metrics_out.clear();
    o.save.clear();
    o.checkpoint_dir.clear();
    o.checkpoint_every = 0;
    o.log_steps.clear();
    o.report_dir.clear();
    o.debug_kill_at_step = o.debug_kill_in_save = 0;
    return o;
  }
};

struct EvalOptions {
  std::string model_path;
  std::string spec;         // --model: MODEL is a plain state dict (PyTorch's) of these layers
  std::string input_shape;  // --input-shape, with --model
  std::string data = "fashion-mnist:test";
  std::string data_dir;
  bool as_json = false;
  int threads = 0;
};

struct PredictOptions {
  std::string model_path;
  std::string spec;         // as EvalOptions
  std::string input_shape;
  std::string input;
  std::string output;
  int threads = 0;
};

struct ExportOptions {
  std::string model_path;
  std::string onnx;         // --onnx OUT.onnx
  std::string spec;         // as EvalOptions
  std::string input_shape;  // --input-shape: one sample's shape (default: the model file's)
};

struct ImportOptions {
  std::string model_path;  // an ONNX file
  std::string out;         // --out M.safetensors
};

struct InfoOptions {
  std::string model_path;
};

struct ReportOptions {
  std::vector<std::string> run_dirs;  // one: its report; several: a comparison (needs --out)
  std::string out_dir;  // empty: run_dir
};

// Each registers its subcommand's options on `sub`, bound to `o`.
void add_train_options(CLI::App& sub, TrainOptions& o);
void add_eval_options(CLI::App& sub, EvalOptions& o);
void add_predict_options(CLI::App& sub, PredictOptions& o);
void add_export_options(CLI::App& sub, ExportOptions& o);
void add_import_options(CLI::App& sub, ImportOptions& o);
void add_info_options(CLI::App& sub, InfoOptions& o);
// The device --device names: cpu, cuda, cuda:N, or auto (the first GPU when there is one).
// nn::Error naming --device for another text, or a GPU this machine lacks.
Device train_device(const std::string& text);
void add_report_options(CLI::App& sub, ReportOptions& o);

// The loss a name means (nn::Error listing the names for any other).
std::unique_ptr<Loss> make_loss(const std::string& name);
// The optimizer --optimizer names, with --lr (or the optimizer's default rate), --momentum,
// --nesterov and --weight-decay.
std::unique_ptr<Optimizer> make_optimizer(const TrainOptions& o, std::vector<Parameter*> params);
// "step:STEP[:GAMMA]", "multistep:M1/M2/...[:GAMMA]", "exp:GAMMA", "cosine[:T_MAX[:ETA_MIN]]";
// nullptr for "none" or "".
std::unique_ptr<Scheduler> make_scheduler(const std::string& spec, Optimizer& optimizer, int64_t epochs);

}  // namespace nn::cli
