// `nn train --json`: the one JSON object printed on stdout when training ends, for scripts.
#pragma once

#include <optional>
#include <string>

#include "nn/train/history.hpp"
#include "nn/train/trainer.hpp"
#include "options.hpp"

namespace nn::cli {

struct TrainSummary {
  double seconds = 0.0;                      // training time, all epochs
  std::optional<train::Evaluation> test;     // the separate test set's figures, when evaluated
  std::string interrupted;                   // the signal's name when a signal stopped the run
  std::string steps;                         // how the steps ran: "cpu", or the GPU's step mode
};

// {"epochs": 15, "last": {train_loss, train_accuracy, val_loss, val_accuracy, lr}, "best_epoch": 12,
//  "stop_reason": "", "interrupted": null, "test": {loss, accuracy, samples} | null, "seconds": 9.8,
//  "model": "m.safetensors" | null, "metrics": ..., "report": ..., "steps": "cpu" | "cuda:0, whole
//  steps as CUDA graphs (N replayed)" | "cuda:0, plain launches (why)"}. Epochs count from 1.
std::string train_summary_json(const TrainOptions& o, const train::History& history, const TrainSummary& summary);

}  // namespace nn::cli
