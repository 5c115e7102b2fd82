// The Trainer's evaluation loop (internal), shared by Trainer::fit's validation, evaluate() and
// predict(): batches through the model in evaluation mode, on the CPU or, for a model on a GPU,
// copied there through a DeviceFeed with the outputs read back.
#pragma once

#include <cstdint>

#include "device_feed.hpp"
#include "nn/data/loader.hpp"
#include "nn/labels.hpp"
#include "nn/layers/module.hpp"
#include "nn/losses/loss.hpp"
#include "nn/tensor.hpp"

namespace nn::train::detail {

// Puts the model back into the mode it had (training or evaluation) when the scope ends.
class ModeGuard {
 public:
  ModeGuard(Module& model, bool training) : model_(model), was_(model.is_training()) {
    if (was_ != training) model_.train(training);
  }
  ~ModeGuard() {
    if (model_.is_training() != was_) model_.train(was_);
  }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  Module& model_;
  bool was_;
};

// Correct predictions in a batch (out on the host); writes the predictions to `preds` when it is not null.
int64_t count_correct(const Tensor& out, Labels labels, float threshold, int32_t* preds);

// The batch's loss: against its labels (classification) or its dense targets.
float batch_loss(Loss& loss, const Tensor& out, const data::Batch& batch, bool classification);

// A model on a GPU evaluates batches copied there; its outputs come back for the accuracy.
struct DeviceEval {
  explicit DeviceEval(Device device) : feed(device) {}
  DeviceFeed feed;
  Tensor out_host;
};

struct EvalSums {
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t samples = 0;
};

// Runs the whole loader (its current epoch) through the model in evaluation mode. across_ranks:
// this rank takes its share of every batch and the sums are reduced over the ranks (collective).
EvalSums run_eval(Module& model, Loss& loss, data::DataLoader& loader, float threshold, int32_t* preds,
                  bool across_ranks = false);

}  // namespace nn::train::detail
