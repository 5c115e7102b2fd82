#include "nn/train/trainer.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "device_step.hpp"
#include "eval_loop.hpp"
#include "nn/data/loader.hpp"
#include "nn/dist/dist.hpp"
#include "nn/dist/grad_allreduce.hpp"
#include "nn/error.hpp"
#include "nn/optim/clip_grad.hpp"

namespace nn::train {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

using detail::batch_loss;
using detail::count_correct;
using detail::DeviceEval;
using detail::EvalSums;
using detail::ModeGuard;
using detail::run_eval;

// The trainer needs no gradient with respect to the input batch; this switches it off for the
// fit and back afterwards.
class InputGradGuard {
 public:
  explicit InputGradGuard(Module& model) : model_(model), was_(model.input_grad()) { model_.set_input_grad(false); }
  ~InputGradGuard() { model_.set_input_grad(was_); }
  InputGradGuard(const InputGradGuard&) = delete;
  InputGradGuard& operator=(const InputGradGuard&) = delete;

 private:
  Module& model_;
  bool was_;
};

// One data-parallel step up to the optimizer: this rank's share of batch b forward and backward,
// then the gradients, the batch's loss and correct count, and the ranks' stop requests of the batch
// before (stop_pending: a callback asked to stop after it) reduced in one all-reduce.
struct ShardStep {
  float loss;
  int64_t correct;
  int64_t samples;
  bool stop;  // some rank's callbacks asked to stop after the batch before this one
};
ShardStep shard_step(Module& model, Loss& loss, Optimizer& optimizer, data::DataLoader& loader, int64_t b,
                     bool classification, float threshold, dist::GradientAllReduce& sync, bool stop_pending) {
  const int64_t global = loader.batch_samples(b);
  const auto batch = loader.batch(b, dist::rank(), dist::size());
  std::array<double, 3> sums{0.0, 0.0, stop_pending ? 1.0 : 0.0};
  optimizer.zero_grad();
  if (batch.size > 0) {
    const Tensor& out = model.forward(batch.x);
    const float l = batch_loss(loss, out, batch, classification);
    sums[0] = static_cast<double>(l) * static_cast<double>(batch.size);
    if (classification) sums[1] = static_cast<double>(count_correct(out, batch.labels, threshold, nullptr));
    model.backward(loss.backward());
  }
  sync.all_reduce(batch.size, global, sums);
  return {static_cast<float>(sums[0] / static_cast<double>(global)), static_cast<int64_t>(sums[1]), global,
          sums[2] > 0.0};
}

const char* non_finite_name(float v) { return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"); }

}  // namespace

float PredictionRule::threshold_for(const Loss& loss) const {
  if (threshold) return *threshold;
  return dynamic_cast<const BCEWithLogitsLoss*>(&loss) != nullptr ? 0.0f : 0.5f;
}

Trainer& Trainer::add_callback(Callback& callback) {
  callbacks_.push_back(&callback);
  return *this;
}

Trainer& Trainer::set_gradient_sync(dist::GradientAllReduce* sync) {
  sync_ = sync;
  return *this;
}

History Trainer::fit(Module& model, Loss& loss, Optimizer& optimizer, const data::Dataset& train,
                     const data::Dataset* validation, const FitOptions& options, Scheduler* scheduler,
                     History history) {
  NN_CHECK(options.epochs >= 0, "Trainer: expected epochs >= 0, found ", options.epochs);
  NN_CHECK(options.batch_size > 0, "Trainer: expected batch_size > 0, found ", options.batch_size);
  NN_CHECK(options.eval_batch_size >= 0, "Trainer: expected eval_batch_size >= 0, found ", options.eval_batch_size);
  NN_CHECK(options.clip_grad_norm >= 0.0f && std::isfinite(options.clip_grad_norm),
           "Trainer: expected clip_grad_norm >= 0 (0: off), found ", options.clip_grad_norm);
  NN_CHECK(options.clip_grad_value >= 0.0f && std::isfinite(options.clip_grad_value),
           "Trainer: expected clip_grad_value >= 0 (0: off), found ", options.clip_grad_value);
  NN_CHECK(!train.empty(), "Trainer: the training set", train.name.empty() ? "" : " '", train.name,
           train.name.empty() ? "" : "'", " is empty");
  const bool classification = train.is_classification();
  if (validation != nullptr) {
    NN_CHECK(!validation->empty(), "Trainer: the validation set is empty");
    NN_CHECK(validation->is_classification() == classification, "Trainer: the training set is ",
             classification ? "classification" : "regression", " data but the validation set is ",
             validation->is_classification() ? "classification" : "regression", " data");
    NN_CHECK(validation->sample_shape() == train.sample_shape(), "Trainer: training samples are shaped ",
             train.sample_shape().str(), " but validation samples ", validation->sample_shape().str());
  }

  data::DataLoader loader(train, {.batch_size = options.batch_size, .shuffle = options.shuffle,
                                  .drop_last = options.drop_last, .seed = options.seed});
  const int64_t nb = loader.num_batches();
  NN_CHECK(nb > 0, "Trainer: no full batch of ", options.batch_size, " in ", train.size(),
           " training samples with drop_last");
  const int64_t train_samples = options.drop_last ? nb * options.batch_size : train.size();
  NN_CHECK(options.start_epoch >= 0 && options.start_epoch <= options.epochs, "Trainer: expected start_epoch in [0, ",
           options.epochs, "], found ", options.start_epoch);
  NN_CHECK(options.start_batch >= 0 && options.start_batch <= nb, "Trainer: expected start_batch in [0, ", nb,
           "], found ", options.start_batch);

  if (sync_ != nullptr) {
    NN_CHECK(options.batch_size >= dist::size(), "Trainer: a data-parallel run on ", dist::size(),
             " ranks needs a batch size of at least ", dist::size(), ", found ", options.batch_size);
    dist::check_same(train.size(), "the number of training samples");
    dist::check_same(validation != nullptr ? validation->size() : -1, "the number of validation samples");
    dist::check_same(options.batch_size, "the batch size");
    dist::check_same(options.start_epoch * (nb + 1) + options.start_batch, "the resume point");
  }

  std::optional<data::DataLoader> val_loader;
  if (validation != nullptr) {
    val_loader.emplace(*validation, data::LoaderOptions{
                                        .batch_size = options.eval_batch_size > 0 ? options.eval_batch_size
                                                                                  : options.batch_size,
                                        .shuffle = false});
  }

  history_ = std::move(history);
  history_.stop_reason.clear();
  NN_CHECK(history_.epochs.empty() || history_.epochs.back().epoch == options.start_epoch - 1,
           "Trainer: resuming at epoch ", options.start_epoch, " but the history given ends with epoch ",
           history_.epochs.back().epoch);
  if (options.start_batch > 0) {
    NN_CHECK(history_.partial.epoch == options.start_epoch && history_.partial.batches == options.start_batch,
             "Trainer: resuming at epoch ", options.start_epoch, ", batch ", options.start_batch,
             " needs the history's sums of those batches, found sums of ", history_.partial.batches,
             " batches of epoch ", history_.partial.epoch);
  } else {
    history_.partial = EpochTotals{};
  }
  history_.epochs.reserve(static_cast<size_t>(options.epochs));

  const float threshold = options.prediction.threshold_for(loss);
  // A model on a GPU (Module::to): batches go there through pinned buffers, steps may be graphs.
  const Device device = model.device();
  NN_CHECK(device.is_cpu() || sync_ == nullptr, "Trainer: data-parallel training runs on the CPU, but the model is on ",
           device.str());
  std::optional<detail::DeviceStep> on_device;
  if (device.is_cuda()) on_device.emplace(model, loss, optimizer, options, classification, threshold);
  step_mode_ = device.str();
  if (scheduler != nullptr) scheduler->set_epoch(options.start_epoch);
  InputGradGuard input_grad(model);
  if (!model.is_training()) model.train(true);

  const TrainBegin begin{model, optimizer, scheduler, options.epochs, options.start_epoch, options.start_batch,
                         nb, options.batch_size, train_samples, validation != nullptr, classification, history_};
  for (Callback* cb : callbacks_) cb->clear_stop();
  for (Callback* cb : callbacks_) cb->on_train_begin(begin);

  auto collect_stop = [&]() {
    bool stop = false;
    for (Callback* cb : callbacks_) {
      if (!cb->stop_requested()) continue;
      if (!history_.stop_reason.empty()) history_.stop_reason += "; ";
      history_.stop_reason += cb->stop_reason();
      stop = true;
    }
    return stop;
  };

  bool stopped = false;
  bool stop_pending = false;  // data-parallel: this rank's callbacks asked to stop after the latest batch
  for (int64_t epoch = options.start_epoch; epoch < options.epochs && !stopped; ++epoch) {
    const int64_t first = epoch == options.start_epoch ? options.start_batch : 0;
    EpochTotals& totals = history_.partial;
    if (first == 0) totals = EpochTotals{.epoch = epoch};
    loader.set_epoch(epoch);
    const double lr = optimizer.lr();
    for (Callback* cb : callbacks_) cb->on_epoch_begin(epoch);

    const auto t0 = Clock::now();
    const double seconds_before = totals.train_seconds;
    for (int64_t b = first; b < nb; ++b) {
      auto check_loss = [&](float l, bool step_taken = false) {
        if (std::isfinite(l)) return;
        fail("training diverged: loss is ", non_finite_name(l), " at epoch ", epoch + 1, "/", options.epochs,
             ", batch ", b + 1, "/", nb, " (step ", epoch * nb + b + 1, "); ",
             step_taken ? "the step ran as one CUDA graph, so its optimizer step was taken, but nothing of it was saved"
                        : "the optimizer step for that batch was not taken",
             " (lower the learning rate, or check the data for NaN)");
      };
      float l = 0.0f;
      int64_t batch_size = 0;
      if (sync_ != nullptr) {  // data-parallel: the reduced loss is checked, the same on every rank
        const ShardStep st =
            shard_step(model, loss, optimizer, loader, b, classification, threshold, *sync_, stop_pending);
        if (st.stop) {  // every rank stops after the batch before, as one process would have
          stopped = true;
          break;
        }
        check_loss(st.loss);
        l = st.loss;
        batch_size = st.samples;
        totals.correct += st.correct;
      } else if (on_device) {  // the next batch is staged while the GPU works on this one
        if (b == first) on_device->stage(loader.batch(b));
        batch_size = on_device->staged_size();
        const int64_t next = b + 1 < nb ? b + 1 : -1;
        l = on_device->begin(loader, next);
        check_loss(l, on_device->graph_step());
        totals.correct += on_device->correct();
        on_device->finish(loader, next);
      } else {
        const auto batch = loader.batch(b);
        const Tensor& out = model.forward(batch.x);
        l = batch_loss(loss, out, batch, classification);
        check_loss(l);
        batch_size = batch.size;
        if (classification) totals.correct += count_correct(out, batch.labels, threshold, nullptr);
        optimizer.zero_grad();
        model.backward(loss.backward());
      }
      if (!on_device) {  // (on a GPU, DeviceStep clips and steps)
        if (options.clip_grad_norm > 0.0f) clip_grad_norm_(optimizer.params(), options.clip_grad_norm);
        if (options.clip_grad_value > 0.0f) clip_grad_value_(optimizer.params(), options.clip_grad_value);
        optimizer.step();
      }
      if (!optimizer.last_step_finite()) {
        fail("training diverged: the optimizer step at epoch ", epoch + 1, "/", options.epochs, ", batch ", b + 1, "/",
             nb, " (step ", epoch * nb + b + 1, ") made a weight non-finite (loss before the step: ", l,
             "); nothing of that step was saved (lower the learning rate, or clip the gradients)");
      }

      totals.batches += 1;
      totals.samples += batch_size;
      totals.loss_sum += static_cast<double>(l) * static_cast<double>(batch_size);
      totals.train_seconds = seconds_before + seconds_since(t0);
      if (!callbacks_.empty()) {
        const BatchEnd end{epoch, b, nb, epoch * nb + b + 1, l, batch_size, history_};
        for (Callback* cb : callbacks_) cb->on_batch_end(end);
        // Data-parallel: the request travels with the next batch's all-reduce, and every rank stops
        // there, before that batch's optimizer step.
        if (sync_ != nullptr) {
          stop_pending = collect_stop();
        } else if (collect_stop()) {
          stopped = true;
          break;
        }
      }
    }
    if (sync_ != nullptr && dist::any(stop_pending)) stopped = true;  // a request after the epoch's last batch
    if (stopped) break;  // mid-epoch: the epoch is not recorded; history_.partial keeps its sums

    EpochRecord r;
    r.epoch = epoch;
    r.samples = totals.samples;
    r.train_loss = totals.mean_loss();
    r.train_accuracy = classification ? totals.accuracy() : kNaN;
    r.lr = lr;
    r.val_loss = r.val_accuracy = kNaN;
    if (val_loader) {
      const EvalSums v = run_eval(model, loss, *val_loader, threshold, nullptr, sync_ != nullptr);
      if (on_device) on_device->forget_graph();  // the evaluation may have moved the model's buffers
      r.val_loss = v.loss_sum / static_cast<double>(v.samples);
      if (classification) r.val_accuracy = static_cast<double>(v.correct) / static_cast<double>(v.samples);
    }
    r.seconds = seconds_before + seconds_since(t0);
    r.samples_per_second = totals.train_seconds > 0.0 ? static_cast<double>(totals.samples) / totals.train_seconds : 0.0;
    history_.epochs.push_back(r);
    history_.partial = EpochTotals{};
    // The scheduler steps before on_epoch_end, so that a checkpoint taken there holds the next
    // epoch's learning rate.
    if (scheduler != nullptr) scheduler->step();
    for (Callback* cb : callbacks_) cb->on_epoch_end(epoch, history_.epochs.back());
    stopped = collect_stop();
    if (sync_ != nullptr) stopped = dist::any(stopped);
  }
  if (on_device) step_mode_ = on_device->mode();
  for (Callback* cb : callbacks_) cb->on_train_end(history_);
  return history_;
}

Evaluation evaluate(Module& model, Loss& loss, const data::Dataset& dataset, const EvalOptions& options) {
  NN_CHECK(options.batch_size > 0, "evaluate: expected batch_size > 0, found ", options.batch_size);
  NN_CHECK(!dataset.empty(), "evaluate: the dataset", dataset.name.empty() ? "" : " '", dataset.name,
           dataset.name.empty() ? "" : "'", " is empty");
  data::DataLoader loader(dataset, {.batch_size = options.batch_size, .shuffle = false});
  const bool classification = dataset.is_classification();
  Evaluation e;
  const bool across = options.across_ranks && dist::size() > 1;
  if (classification && options.keep_predictions && !across) e.predictions.resize(static_cast<size_t>(dataset.size()));
  const EvalSums s = run_eval(model, loss, loader, options.prediction.threshold_for(loss),
                              e.predictions.empty() ? nullptr : e.predictions.data(), across);
  e.samples = s.samples;
  e.loss = s.loss_sum / static_cast<double>(s.samples);
  e.accuracy = classification ? static_cast<double>(s.correct) / static_cast<double>(s.samples) : kNaN;
  return e;
}

Tensor predict(Module& model, const data::Dataset& dataset, int64_t batch_size) {
  NN_CHECK(batch_size > 0, "predict: expected batch_size > 0, found ", batch_size);
  NN_CHECK(!dataset.empty(), "predict: the dataset is empty");
  ModeGuard mode(model, false);
  data::DataLoader loader(dataset, {.batch_size = batch_size, .shuffle = false});
  std::optional<DeviceEval> on_device;  // a model on a GPU: batches there, outputs back
  if (model.device().is_cuda()) on_device.emplace(model.device());
  Tensor result;
  int64_t row = 0;
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    const auto batch = loader.batch(b);
    if (on_device) {
      on_device->feed.stage(batch);
      on_device->out_host.copy_from(model.forward(on_device->feed.x()), Device::cpu());
    }
    const Tensor& out = on_device ? on_device->out_host : model.forward(batch.x);
    NN_CHECK(out.rank() >= 1 && out.dim(0) == batch.size, "predict: expected ", batch.size,
             " rows of model output, found ", out.shape().str());
    if (b == 0) result = Tensor(out.shape().sample().batched(dataset.size()));
    const int64_t per = out.numel() / batch.size;
    NN_CHECK(per * dataset.size() == result.numel(), "predict: the model's output per sample changed from ",
             result.numel() / dataset.size(), " to ", per, " values");
    std::memcpy(result.data() + row * per, out.data(), static_cast<size_t>(out.numel()) * sizeof(float));
    row += batch.size;
  }
  return result;
}

}  // namespace nn::train
