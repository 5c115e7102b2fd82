#include "nn/train/predict.hpp"

#include <algorithm>
#include <vector>

#include "cuda/runtime.hpp"
#include "nn/error.hpp"

namespace nn::train {

namespace {

// Evaluation mode for the guard's lifetime.
class EvalMode {
 public:
  explicit EvalMode(Module& m) : m_(m), was_training_(m.is_training()) { m_.eval(); }
  ~EvalMode() { m_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  Module& m_;
  bool was_training_;
};

// Copies one batch's outputs into rows [start, start + b) of out, sizing out on the first batch.
void store(const Tensor& y, int64_t start, int64_t b, int64_t n, Tensor& out) {
  NN_CHECK(y.rank() >= 1 && y.dim(0) == b, "predict: expected ", b, " rows of model output, found ",
           y.shape().str());
  const int64_t per = y.numel() / b;
  if (start == 0) {
    out.resize(y.shape().sample().batched(n), Device::cpu());
  } else {
    NN_CHECK(per * n == out.numel(), "predict: the model's output per sample changed from ", out.numel() / n, " to ",
             per, " values");
  }
  std::copy_n(y.data(), y.numel(), out.data() + start * per);
}

}  // namespace

void predict(Module& model, const Tensor& x, Tensor& out, int64_t batch_size) {
  NN_CHECK(batch_size > 0, "predict: expected batch_size > 0, found ", batch_size);
  NN_CHECK(x.rank() >= 1, "predict: expected inputs [N, ...], found ", x.shape().str());
  NN_CHECK(&x != &out, "predict: the output buffer must not be the input");
  const int64_t n = x.dim(0);
  if (n == 0) {
    out.resize(Shape{0, 0});
    return;
  }
  EvalMode mode(model);
  if (x.is_cuda()) {  // outputs go to a host buffer: the inputs take the same way
    predict(model, x.to(Device::cpu()), out, batch_size);
    return;
  }
  if (model.device().is_cuda()) {  // a model on a GPU: batches copied there, outputs back
    const Device device = model.device();
    const Shape sample = x.shape().sample();
    const int64_t per = sample.numel();
    Tensor batch, y;
    cuda::detail::set_device(device.index());
    for (int64_t start = 0; start < n; start += batch_size) {
      const int64_t b = std::min(batch_size, n - start);
      batch.resize(sample.batched(b), device);
      cuda::detail::copy_h2d(batch.data(), x.data() + start * per, static_cast<size_t>(b * per) * sizeof(float));
      y.copy_from(model.forward(batch), Device::cpu());
      store(y, start, b, n, out);
    }
    return;
  }
  if (n <= batch_size) {
    store(model.forward(x), 0, n, n, out);
    return;
  }
  const Shape sample = x.shape().sample();
  const int64_t per = sample.numel();
  Tensor batch;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    batch.resize(sample.batched(b));
    std::copy_n(x.data() + start * per, b * per, batch.data());
    store(model.forward(batch), start, b, n, out);
  }
}

}  // namespace nn::train
