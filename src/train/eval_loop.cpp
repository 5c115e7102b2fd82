#include "eval_loop.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "nn/dist/dist.hpp"
#include "nn/error.hpp"

namespace nn::train::detail {

namespace {
// The predicted class of row i of out ([B, C] or [B, 1]), as predict_classes() defines it.
inline int32_t predicted_class(const float* row, int64_t c, float threshold) {
  if (c == 1) return row[0] >= threshold ? 1 : 0;
  return static_cast<int32_t>(std::max_element(row, row + c) - row);
}
}  // namespace

int64_t count_correct(const Tensor& out, Labels labels, float threshold, int32_t* preds) {
  const auto b = static_cast<int64_t>(labels.size());
  NN_CHECK(out.rank() >= 1 && out.dim(0) == b && b > 0, "Trainer: expected model output of shape [", b,
           ", C] for a batch of ", b, " samples, found ", out.shape().str());
  const int64_t c = out.numel() / b;
  int64_t correct = 0;
  for (int64_t i = 0; i < b; ++i) {
    const int32_t p = predicted_class(out.data() + i * c, c, threshold);
    correct += p == labels[static_cast<size_t>(i)] ? 1 : 0;
    if (preds != nullptr) preds[i] = p;
  }
  return correct;
}

float batch_loss(Loss& loss, const Tensor& out, const data::Batch& batch, bool classification) {
  return classification ? loss.forward(out, batch.labels) : loss.forward(out, batch.targets);
}

EvalSums run_eval(Module& model, Loss& loss, data::DataLoader& loader, float threshold, int32_t* preds,
                  bool across_ranks) {
  ModeGuard mode(model, false);
  const bool classification = loader.dataset().is_classification();
  const bool shard = across_ranks && dist::size() > 1;
  std::optional<DeviceEval> on_device;
  if (model.device().is_cuda()) on_device.emplace(model.device());
  EvalSums s;
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    const auto batch = shard ? loader.batch(b, dist::rank(), dist::size()) : loader.batch(b);
    if (batch.size == 0) continue;
    float l = 0.0f;
    const Tensor* out = nullptr;
    if (on_device) {  // every batch reads values back, so a pinned slot is free again two batches on
      on_device->feed.stage(batch);
      const Tensor& y = model.forward(on_device->feed.x());
      l = classification ? loss.forward(y, batch.labels) : loss.forward(y, on_device->feed.targets());
      on_device->out_host.copy_from(y, Device::cpu());
      out = &on_device->out_host;
    } else {
      out = &model.forward(batch.x);
      l = batch_loss(loss, *out, batch, classification);
    }
    if (classification) {
      s.correct += count_correct(*out, batch.labels, threshold, preds == nullptr ? nullptr : preds + s.samples);
    }
    s.loss_sum += static_cast<double>(l) * static_cast<double>(batch.size);
    s.samples += batch.size;
  }
  if (shard) {
    std::array<double, 3> sums{s.loss_sum, static_cast<double>(s.correct), static_cast<double>(s.samples)};
    dist::sum(sums);
    s = EvalSums{sums[0], static_cast<int64_t>(sums[1]), static_cast<int64_t>(sums[2])};
  }
  return s;
}

}  // namespace nn::train::detail
