#include "device_step.hpp"

#include <algorithm>

#include "cuda/runtime.hpp"
#include "nn/error.hpp"
#include "nn/optim/clip_grad.hpp"

namespace nn::train::detail {

namespace rt = nn::cuda::detail;

DeviceStep::DeviceStep(Module& model, Loss& loss, Optimizer& optimizer, const FitOptions& options,
                       bool classification, float threshold)
    : model_(model),
      loss_(loss),
      optimizer_(optimizer),
      graph_loss_(dynamic_cast<GraphLoss*>(&loss)),
      options_(options),
      classification_(classification),
      threshold_(threshold),
      feed_(model.device()) {
  no_graph_ = blocker();
}

DeviceStep::~DeviceStep() { rt::destroy_graph(graph_); }

void DeviceStep::forget_graph() {
  rt::destroy_graph(graph_);
  graph_ = nullptr;
  graph_out_ = nullptr;
  warmed_up_ = false;
}

std::string DeviceStep::blocker() const {
  if (!options_.cuda_graphs) return "CUDA graphs turned off";
  if (graph_loss_ == nullptr) return loss_.type_name() + " reads its value back to the host in every step";
  if (!model_.graph_capturable()) return "a layer of the model reads a per-step value from the host";
  if (!optimizer_.graph_capturable())
    return optimizer_.type_name() + " reads per-step values (its step count, its finite check) on the host";
  if (options_.clip_grad_norm > 0.0f) return "gradient clipping by norm reads the norm back to the host";
  return {};
}

std::string DeviceStep::mode() const {
  const std::string device = feed_.device().str();
  if (graph_steps_ > 0 && no_graph_.empty())
    return device + ", whole steps as CUDA graphs (" + std::to_string(graph_steps_) + " replayed, " +
           std::to_string(captures_) + (captures_ == 1 ? " capture)" : " captures)");
  if (no_graph_.empty()) return device + ", plain launches (no full-size batch to capture)";
  return device + ", plain launches (" + no_graph_ + ")";
}

void DeviceStep::check_labels(const Tensor& out) const {
  if (!classification_) return;
  // A loss that reads its labels on the device does not check them: the host does, before it runs.
  const int64_t b = feed_.size();
  NN_CHECK(out.rank() >= 1 && out.dim(0) == b && b > 0, "Trainer: expected model output of shape [", b,
           ", C] for a batch of ", b, " samples, found ", out.shape().str());
  const int64_t c = out.numel() / b;
  const int64_t classes = c == 1 ? 2 : c;
  for (int32_t y : feed_.host_labels())
    NN_CHECK(y >= 0 && y < classes, loss_.type_name(), ": expected class indices in [0, ", classes, "), found ", y);
}

int64_t DeviceStep::count_correct(const Tensor& out, Labels labels) {
  if (!classification_) return 0;
  out_host_.copy_from(out, Device::cpu());  // waits for the step's forward
  const auto b = static_cast<int64_t>(labels.size());
  NN_CHECK(out_host_.rank() >= 1 && out_host_.dim(0) == b && b > 0, "Trainer: expected model output of shape [", b,
           ", C] for a batch of ", b, " samples, found ", out_host_.shape().str());
  const int64_t c = out_host_.numel() / b;
  int64_t correct = 0;
  for (int64_t i = 0; i < b; ++i) {
    const float* row = out_host_.data() + i * c;
    const int32_t p = c == 1 ? (row[0] >= threshold_ ? 1 : 0) : static_cast<int32_t>(std::max_element(row, row + c) - row);
    correct += p == labels[static_cast<size_t>(i)] ? 1 : 0;
  }
  return correct;
}

void DeviceStep::clip() {
  if (options_.clip_grad_norm > 0.0f) clip_grad_norm_(optimizer_.params(), options_.clip_grad_norm);
  if (options_.clip_grad_value > 0.0f) clip_grad_value_(optimizer_.params(), options_.clip_grad_value);
}

float DeviceStep::begin(data::DataLoader& loader, int64_t next) {
  const bool full = feed_.size() == options_.batch_size;
  // A scheduler changed the learning rate: one plain step hands the new rate to the optimizer's
  // device copy (a graph-capturable optimizer reads it there), then the graph replays again.
  const bool lr_changed = graph_ != nullptr && optimizer_.lr() != graph_lr_;
  graph_now_ = full && no_graph_.empty() && warmed_up_ && !lr_changed && (graph_ != nullptr || try_capture());
  float loss = 0.0f;
  if (graph_now_) {
    check_labels(*graph_out_);
    const Labels labels = feed_.host_labels();  // this batch's pinned slot: the prefetch fills the other
    rt::replay(graph_);
    ++graph_steps_;
    optimizer_.set_step_count(optimizer_.step_count() + 1);  // step()'s host code does not run in a replay
    if (next >= 0) stage(loader.batch(next));  // the host gathers the next batch while the GPU runs the graph
    correct_ = count_correct(*graph_out_, labels);
    rt::copy_d2h(&loss, graph_loss_->value_on_device().data(), sizeof(float));
    return loss;
  }
  const Tensor& out = model_.forward(feed_.x());
  if (graph_loss_ != nullptr && no_graph_.empty()) {
    // While graphs are possible, plain steps run the loss as the graph will (labels from the
    // feed's device buffer, the value on the device), so the warm-up sizes what the capture uses.
    check_labels(out);
    if (classification_)
      graph_loss_->forward_on_device(out, feed_.device_labels());
    else
      graph_loss_->forward_on_device(out, feed_.targets());
    rt::copy_d2h(&loss, graph_loss_->value_on_device().data(), sizeof(float));
  } else {
    // The loss reads the batch's labels from the host (Loss::forward) and its value back: one wait.
    loss = classification_ ? loss_.forward(out, feed_.host_labels()) : loss_.forward(out, feed_.targets());
  }
  correct_ = count_correct(out, feed_.host_labels());
  out_ = &out;
  return loss;
}

void DeviceStep::finish(data::DataLoader& loader, int64_t next) {
  if (graph_now_) return;
  const bool full = feed_.size() == options_.batch_size;
  optimizer_.zero_grad();
  model_.backward(loss_.backward());
  clip();
  optimizer_.step();
  graph_lr_ = optimizer_.lr();  // the rate the optimizer's device copy now holds
  if (next >= 0) stage(loader.batch(next));  // the host gathers the next batch while the GPU runs backward and step
  if (full) warmed_up_ = true;
}

bool DeviceStep::try_capture() {
  const int64_t steps_before = optimizer_.step_count();
  try {
    rt::begin_capture();
    optimizer_.zero_grad();
    const Tensor& out = model_.forward(feed_.x());
    if (classification_)
      graph_loss_->forward_on_device(out, feed_.device_labels());
    else
      graph_loss_->forward_on_device(out, feed_.targets());
    model_.backward(loss_.backward());
    clip();
    optimizer_.step();
    graph_ = rt::end_capture();
    graph_out_ = &out;
  } catch (const std::exception& e) {
    rt::abort_capture();
    optimizer_.set_step_count(steps_before);  // nothing of the captured work ran
    no_graph_ = std::string("the step could not be captured: ") + e.what();
    graph_ = nullptr;
    return false;
  }
  graph_lr_ = optimizer_.lr();
  ++captures_;
  // The capture ran step()'s host code once (its step count); the first replay is that step.
  optimizer_.set_step_count(steps_before);
  return true;
}

}  // namespace nn::train::detail
