// The subcommands of `nn`, each a function of its parsed options, and the few helpers two of them
// share. Each returns the process's exit code; errors are nn::Error (main prints them).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "data_spec.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train/history.hpp"
#include "options.hpp"

namespace nn::cli {

int run_train(const TrainOptions& o);    // train.cpp
int run_classic(const TrainOptions& o);  // classic.cpp: --model perceptron | adaline | adaline-sgd
int run_eval(const EvalOptions& o);      // eval.cpp
int run_predict(const PredictOptions& o);  // predict.cpp
int run_info(const InfoOptions& o);      // info.cpp
int run_export(const ExportOptions& o);  // export.cpp: `nn export MODEL --onnx OUT.onnx`
int run_import(const ImportOptions& o);  // import.cpp: `nn import MODEL.onnx --out M.safetensors`
int run_report(const ReportOptions& o);  // report.cpp: `nn report RUN_DIR`

bool is_classic(const std::string& model);
// A classic neuron's --report folder (run.json with "kind": "classic"), and its report rewritten
// from run.json and metrics.jsonl into `out` (classic.cpp; `nn report` uses them).
bool is_classic_run_folder(const std::filesystem::path& dir);
int report_classic_folder(const std::filesystem::path& dir, const std::filesystem::path& out);

// The metadata `nn train` saves with a model besides its scaler: the data spec, the loss, the
// version and the class names (train.cpp).
std::map<std::string, std::string> model_metadata(const TrainOptions& o, const data::Dataset& train);
// A model to run (predict.cpp): an nn model file with its scaler, an ONNX file (.onnx; its scaler,
// if nn exported it, is part of the graph), or, with a spec, a plain state dict (PyTorch's) of
// those layers, unscaled.
io::ScaledModel load_for_inference(const std::string& path, const std::string& spec, const std::string& input_shape);
// The loss a saved model trained with ("nn.loss"; cross-entropy when the file does not say).
std::string saved_loss(const std::map<std::string, std::string>& metadata);

// `nn train --report DIR` (report.cpp): writes the run folder from what the run has in memory and
// its report, judged on data.judged(). Frees the parts of `data` the report does not need first.
void write_train_report(const TrainOptions& o, std::unique_ptr<Sequential> model, const Optimizer& optimizer,
                        PreparedData& data, const train::History& history);

}  // namespace nn::cli
