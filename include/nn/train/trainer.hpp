/// @file
/// @brief nn::train::Trainer, the train/validation loop, and nn::train::evaluate and
/// nn::train::predict on datasets.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/layers/module.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/tensor.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/history.hpp"

namespace nn::dist {
class GradientAllReduce;
}

namespace nn::train {

/// How a classifier's output becomes a class. Several outputs per sample: the argmax of the row.
/// One output per sample (binary): class 1 when output >= threshold. Without a threshold, 0 when
/// the loss is BCEWithLogitsLoss (the outputs are logits) and 0.5 otherwise (probabilities).
struct NN_API PredictionRule {
  std::optional<float> threshold;  ///< the binary threshold; nullopt: chosen from the loss
  /// The threshold in use with `loss`: `threshold` when set, else 0 for BCEWithLogitsLoss and 0.5.
  float threshold_for(const Loss& loss) const;
};

/// How Trainer::fit trains.
struct NN_API FitOptions {
  int64_t epochs = 10;         ///< total epochs, counted from 0 (a resumed run gives the same total)
  int64_t batch_size = 64;     ///< training samples per batch, > 0
  bool shuffle = true;         ///< visit the training samples in a new random order every epoch
  uint64_t seed = 0;           ///< the loader's order of epoch e depends only on (seed, e)
  bool drop_last = false;      ///< skip a last batch smaller than batch_size
  int64_t eval_batch_size = 0;  ///< validation batch size; 0: batch_size
  PredictionRule prediction{};  ///< how outputs become classes for the accuracies
  /// Gradient clipping after backward, before the optimizer step (0: off): the total 2-norm of all
  /// gradients to at most clip_grad_norm (clip_grad_norm_), each element into
  /// [-clip_grad_value, clip_grad_value] (clip_grad_value_).
  float clip_grad_norm = 0.0f;
  float clip_grad_value = 0.0f;  ///< clip each gradient element into [-v, v] (0: off); see clip_grad_norm
  /// Resume: start at batch start_batch of epoch start_epoch (0 <= start_batch <= batches per
  /// epoch). With the history passed to fit (History::partial holding the sums of start_epoch's
  /// first start_batch batches) and the same model and optimizer state, the run continues exactly
  /// as if it had never stopped.
  int64_t start_epoch = 0;
  int64_t start_batch = 0;  ///< resume: the first batch of start_epoch to train (see start_epoch)
  /// A model on a GPU (Module::to): capture a whole training step (zero_grad, forward, loss,
  /// backward, clipping, optimizer step) as one CUDA graph after a warm-up step, and replay it for
  /// every batch of the full batch size (a smaller last batch runs plainly). Where the model, loss
  /// or optimizer cannot be captured, or the capture fails, steps are plain launches;
  /// Trainer::step_mode() says which and why. Ignored on the CPU.
  bool cuda_graphs = true;
};

/// What evaluate() measured.
struct NN_API Evaluation {
  double loss = 0.0;      ///< mean over the samples
  double accuracy = 0.0;  ///< NaN for regression
  std::vector<int32_t> predictions;  ///< classification: the predicted class of every sample
  int64_t samples = 0;    ///< the number of samples evaluated
};

/// How evaluate() runs.
struct NN_API EvalOptions {
  int64_t batch_size = 256;      ///< samples per forward pass, > 0
  PredictionRule prediction{};   ///< how outputs become classes
  bool keep_predictions = true;  ///< fill Evaluation::predictions (false saves the memory)
  /// Data-parallel (nn::dist with more than one rank): every rank evaluates its share of each
  /// batch and the loss and accuracy are summed over the ranks, so every rank gets the whole
  /// dataset's figures. Collective; no predictions are kept.
  bool across_ranks = false;
};

/// The train/validation loop as a library routine.
///
/// Per epoch it trains on mini-batches from a DataLoader (zero_grad, forward, loss, backward,
/// step), evaluates on the validation set in eval mode, records an EpochRecord, runs the callbacks
/// and steps the scheduler.
///
/// Steady state allocates nothing per batch: the loader's batch buffers, the model's and the loss's
/// buffers are sized on the first batch and reused. Divergence is checked on every step: a
/// non-finite batch loss stops training at once with nn::Error ("training diverged: loss is nan at
/// epoch 3/10, batch 17/938 ...") before backward and the optimizer step, so the weights stay those
/// of the last finite step; an optimizer step that writes a non-finite weight stops it right after
/// that step, before any callback, so no checkpoint or model of that step is ever written.
/// A Trainer runs one fit at a time; it is not thread-safe.
/// @code
/// nn::train::Trainer trainer;
/// trainer.add_callback(progress);
/// nn::train::History h = trainer.fit(model, loss, optimizer, train, &val,
///                                    {.epochs = 20, .batch_size = 32}, &scheduler);
/// @endcode
class NN_API Trainer {
 public:
  Trainer() = default;  ///< a trainer without callbacks
  /// A trainer with these callbacks (not owned; they must outlive the fits that use them).
  explicit Trainer(std::vector<Callback*> callbacks) : callbacks_(std::move(callbacks)) {}

  /// Adds a callback; it is not owned and must outlive the fits that use it. Called in the order
  /// added.
  Trainer& add_callback(Callback& callback);
  const std::vector<Callback*>& callbacks() const { return callbacks_; }  ///< the callbacks, in calling order

  /// Data-parallel training: with a GradientAllReduce over the optimizer's parameters (not owned;
  /// nullptr: single process), fit() runs on every rank of nn::dist with the same arguments. Each
  /// rank takes its share of every batch of options.batch_size (the global batch, one shuffle from
  /// the one seed), the gradients are averaged over the ranks weighted by the shares before
  /// clipping and the optimizer step (the result is the batch's gradient in one process), and the
  /// batch losses, accuracies, validation figures and stop requests are reduced, so every rank
  /// records the same history. BatchNorm normalises with each rank's own batch statistics.
  Trainer& set_gradient_sync(dist::GradientAllReduce* sync);

  /// Trains `model` on `train` for options.epochs epochs (fewer when a callback stops it) and returns
  /// the history: `history` (empty for a fresh run, the earlier run's for a resume) with the new
  /// epochs appended. Classification datasets use Loss::forward(pred, labels), regression ones
  /// Loss::forward(pred, targets). The scheduler, if any, is set to start_epoch first and stepped
  /// once after every epoch. The model is in training mode during the epochs and is left so.
  /// `validation` may be null. @throws nn::Error for invalid options, an empty or mismatched
  /// dataset, a history that does not match start_epoch/start_batch, or a diverged loss.
  History fit(Module& model, Loss& loss, Optimizer& optimizer, const data::Dataset& train,
              const data::Dataset* validation, const FitOptions& options, Scheduler* scheduler = nullptr,
              History history = {});

  /// The history of the latest fit as it stands, also after fit threw (a diverged loss).
  const History& history() const { return history_; }
  /// How the latest fit ran its steps: "cpu", or for a model on a GPU "cuda:0, whole steps as CUDA
  /// graphs (N replayed)" or "cuda:0, plain launches (why)". Empty before the first fit.
  const std::string& step_mode() const { return step_mode_; }

 private:
  std::vector<Callback*> callbacks_;
  History history_;
  std::string step_mode_;
  dist::GradientAllReduce* sync_ = nullptr;
};

/// Loss and accuracy of `model` on `dataset` in evaluation mode (the model's mode is restored).
/// @throws nn::Error for an empty dataset or batch_size <= 0.
NN_API Evaluation evaluate(Module& model, Loss& loss, const data::Dataset& dataset, const EvalOptions& options = {});

/// The model's outputs for every sample of `dataset`, computed in batches in evaluation mode:
/// [N, outputs...]. @throws nn::Error for an empty dataset or batch_size <= 0.
NN_API Tensor predict(Module& model, const data::Dataset& dataset, int64_t batch_size = 256);

}  // namespace nn::train
