/// @file
/// @brief Training callbacks: nn::train::Callback, the hooks Trainer::fit calls, and
/// nn::train::EarlyStopping.
///
/// Trainer::fit calls the hooks at the start of training, around every epoch and after every
/// batch. A callback may ask training to stop; the trainer checks after each hook. A checkpoint
/// writer needs nothing more: on_train_begin hands it the model, optimizer and scheduler,
/// on_batch_end says where training stands (epoch, batch, global step) and gives the history with
/// the running sums of the epoch, and fit can resume at (start_epoch, start_batch).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers/module.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/tensor.hpp"
#include "nn/train/history.hpp"

namespace nn::train {

/// What a fit is about to do.
struct NN_API TrainBegin {
  Module& model;            ///< the model being trained (valid during the fit)
  Optimizer& optimizer;     ///< its optimizer (valid during the fit)
  Scheduler* scheduler;     ///< may be null
  int64_t epochs;           ///< total, counted from epoch 0
  int64_t start_epoch;      ///< first epoch this call runs (0 unless resuming)
  int64_t start_batch;      ///< first batch of start_epoch this call runs
  int64_t batches_per_epoch;  ///< training batches in every epoch
  int64_t batch_size;       ///< samples per training batch (FitOptions::batch_size)
  int64_t train_samples;    ///< samples per epoch (fewer than the dataset's with drop_last)
  bool has_validation;      ///< whether fit has a validation set (val_ figures are NaN otherwise)
  bool classification;      ///< classification (labels) or regression (targets)
  /// The trainer's history: the epochs given to fit, and later the new ones as they finish. The
  /// reference stays valid during the fit (a checkpoint writer reads it at epoch ends).
  const History& history;
};

/// The batch just trained.
struct NN_API BatchEnd {
  int64_t epoch;       ///< 0-based
  int64_t batch;       ///< 0-based index within the epoch
  int64_t batches_per_epoch;  ///< training batches in every epoch
  int64_t step;        ///< optimizer steps since epoch 0, batch 0, this one included:
                       /// epoch * batches_per_epoch + batch + 1
  float loss;          ///< this batch's mean loss
  int64_t size;        ///< samples in this batch
  /// The finished epochs, and in history.partial the sums of this epoch up to this batch. Resuming
  /// after this batch: FitOptions{.start_epoch = epoch, .start_batch = batch + 1} and this history.
  const History& history;
};

/// The base of the hooks Trainer::fit calls; every hook does nothing by default.
///
/// A callback is registered with Trainer::add_callback (not owned) and is called from the thread
/// that runs fit, in the order the callbacks were added. A hook that throws ends fit with that
/// exception.
/// @code
/// struct StopAtLoss : nn::train::Callback {
///   void on_epoch_end(int64_t, const nn::train::EpochRecord& r) override {
///     if (r.train_loss < 0.01) request_stop("loss below 0.01");
///   }
/// };
/// @endcode
class NN_API Callback {
 public:
  virtual ~Callback() = default;  ///< virtual: subclasses are used through this base
  /// Called once at the start of fit, before the first batch (also when resuming).
  virtual void on_train_begin(const TrainBegin& /*info*/) {}
  /// Called before each epoch runs (0-based `epoch`).
  virtual void on_epoch_begin(int64_t /*epoch*/) {}
  /// Called after every optimizer step.
  virtual void on_batch_end(const BatchEnd& /*batch*/) {}
  /// Called after each epoch's validation, once its record is in the history.
  virtual void on_epoch_end(int64_t /*epoch*/, const EpochRecord& /*record*/) {}
  /// Called when fit returns normally (not when it throws), also after a requested stop.
  virtual void on_train_end(const History& /*history*/) {}

  /// A stop asked for in on_batch_end ends training after that batch (the epoch is not recorded;
  /// History::partial keeps its sums); asked for in on_epoch_end, after that epoch.
  bool stop_requested() const { return stop_requested_; }
  const std::string& stop_reason() const { return stop_reason_; }  ///< why stop was requested ("" when not); it becomes History::stop_reason
  /// The trainer clears the request before on_train_begin.
  void clear_stop() {
    stop_requested_ = false;
    stop_reason_.clear();
  }

 protected:
  /// Asks training to stop (see stop_requested()), with a reason for History::stop_reason.
  void request_stop(std::string reason) {
    stop_requested_ = true;
    stop_reason_ = std::move(reason);
  }

 private:
  bool stop_requested_ = false;
  std::string stop_reason_;
};

/// Whether a monitored figure improves by going down or up.
enum class MonitorMode {
  automatic,  ///< max for accuracies, min for everything else
  min,        ///< lower is better (losses)
  max         ///< higher is better (accuracies)
};

/// When EarlyStopping stops training.
struct NN_API EarlyStoppingOptions {
  /// A History metric name: "val_loss", "val_accuracy", "train_loss", "train_accuracy".
  std::string monitor = "val_loss";
  int64_t patience = 5;      ///< epochs without improvement before stopping, >= 1
  double min_delta = 0.0;    ///< an improvement must beat the best by more than this, >= 0
  MonitorMode mode = MonitorMode::automatic;  ///< automatic: max for accuracies, min otherwise
  /// Copies the parameters at the best epoch and puts them back when fit returns (after a stop or
  /// the last epoch; not when fit throws), with the buffers (BatchNorm's running statistics) of
  /// the same epoch.
  bool restore_best_weights = false;
};

/// Stops training once the monitored figure has not improved for `patience` epochs in a row. A NaN
/// figure never counts as an improvement. Keras's EarlyStopping, with the best epoch reported.
/// @code
/// nn::train::EarlyStopping stop({.monitor = "val_loss", .patience = 3, .restore_best_weights = true});
/// trainer.add_callback(stop);
/// @endcode
class NN_API EarlyStopping : public Callback {
 public:
  /// @throws nn::Error for patience < 1, min_delta < 0 or an unknown monitor name.
  explicit EarlyStopping(EarlyStoppingOptions options = {});

  /// Starts counting afresh (a resumed fit keeps counting). @throws nn::Error when a val_ figure is
  /// monitored without a validation set, or an accuracy on a regression dataset.
  void on_train_begin(const TrainBegin& info) override;
  /// Compares the epoch's figure with the best; requests a stop after `patience` epochs without
  /// improvement.
  void on_epoch_end(int64_t epoch, const EpochRecord& record) override;
  /// Puts the best weights back when restore_best_weights is set.
  void on_train_end(const History& history) override;

  int64_t best_epoch() const { return best_epoch_; }  ///< -1 before the first epoch
  double best_value() const { return best_; }  ///< the best figure so far (meaningless while best_epoch() is -1)
  int64_t stopped_epoch() const { return stopped_epoch_; }  ///< -1 when it did not stop training
  int64_t epochs_without_improvement() const { return wait_; }  ///< epochs since the best one
  bool maximizing() const { return maximize_; }  ///< true when higher is better (mode resolved)
  const EarlyStoppingOptions& options() const { return options_; }  ///< the options it was built with

 private:
  EarlyStoppingOptions options_;
  bool maximize_ = false;
  double best_ = 0.0;
  int64_t best_epoch_ = -1;
  int64_t wait_ = 0;
  int64_t stopped_epoch_ = -1;
  Module* model_ = nullptr;
  std::vector<Tensor> best_weights_;
};

}  // namespace nn::train
