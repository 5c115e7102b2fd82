// nn::train::detail::DeviceStep (internal): the Trainer's training step for a model on a GPU.
// Batches reach the device through a DeviceFeed (pinned double buffer, asynchronous copies); the
// step runs as plain launches, or, once a full-size batch has warmed the buffers up, as one CUDA
// graph captured from a whole step (zero_grad, forward, loss, backward, clipping, optimizer step)
// and replayed for every later batch of that size: one launch per step. Capture needs the model,
// the loss (nn::GraphLoss) and the optimizer to read nothing per step from the host; when one does
// not, or the capture fails, the steps stay plain launches and mode() says why.
#pragma once

#include <cstdint>
#include <string>

#include "device_feed.hpp"
#include "nn/layers/module.hpp"
#include "nn/losses/graph_loss.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train/trainer.hpp"

namespace nn::train::detail {

class DeviceStep {
 public:
  DeviceStep(Module& model, Loss& loss, Optimizer& optimizer, const FitOptions& options, bool classification,
             float threshold);
  ~DeviceStep();
  DeviceStep(const DeviceStep&) = delete;
  DeviceStep& operator=(const DeviceStep&) = delete;

  // Copies a batch towards the device (see DeviceFeed::stage); run() trains on the latest one.
  void stage(const data::Batch& batch) { feed_.stage(batch); }
  int64_t staged_size() const { return feed_.size(); }

  // Trains on the staged batch, in two halves around the Trainer's check of the loss. begin()
  // returns the batch's loss: a plain step has run forward and the loss (it read the value back), a
  // graph step has run the whole step. finish() runs the rest of a plain step (zero_grad, backward,
  // clipping, optimizer step). Either stages batch `next` of `loader` (when next >= 0) while the GPU
  // still works on this one.
  float begin(data::DataLoader& loader, int64_t next);
  void finish(data::DataLoader& loader, int64_t next);
  int64_t correct() const { return correct_; }       // classification: correct predictions of the batch
  bool graph_step() const { return graph_now_; }     // whether the latest begin() replayed the graph
  // Drops the captured graph: the model ran other work (an evaluation, in evaluation mode and at
  // another batch size) that may have moved the buffers the graph reads and writes. The next
  // full-size step runs plainly again, and the one after it is captured anew.
  void forget_graph();

  // "cuda:0, whole steps as CUDA graphs" or "cuda:0, plain launches (why)".
  std::string mode() const;

 private:
  bool try_capture();
  void clip();
  int64_t count_correct(const Tensor& out, Labels labels);
  void check_labels(const Tensor& out) const;
  std::string blocker() const;  // why graphs cannot be used at all ("" when they can)

  Module& model_;
  Loss& loss_;
  Optimizer& optimizer_;
  GraphLoss* graph_loss_;
  const FitOptions& options_;
  bool classification_;
  float threshold_;
  DeviceFeed feed_;
  Tensor out_host_;  // the model's output of the batch, read back for the accuracy
  std::string no_graph_;  // why steps are plain launches ("" while graphs are possible)
  bool warmed_up_ = false;  // a plain full-size step has sized every buffer
  void* graph_ = nullptr;   // the instantiated whole-step graph
  float graph_lr_ = 0.0f;   // the learning rate of the latest plain step or capture
  const Tensor* graph_out_ = nullptr;
  int64_t graph_steps_ = 0;
  int64_t captures_ = 0;
  bool graph_now_ = false;
  const Tensor* out_ = nullptr;  // the plain step's output, until finish()
  int64_t correct_ = 0;
};

}  // namespace nn::train::detail
