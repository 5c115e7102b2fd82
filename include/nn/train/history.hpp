/// @file
/// @brief nn::train::History, what Trainer::fit records per epoch, and its JSON form.
///
/// Besides the finished epochs, a History holds the running sums of an epoch in progress, so that a
/// run stopped mid-epoch, for a checkpoint, resumes with bit-identical epoch figures.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace nn::train {

/// One finished epoch. Epochs are numbered from 0 here (messages and progress print them from 1).
/// Accuracies are fractions in [0, 1] and NaN where they do not apply (regression); the val_
/// figures are NaN when fit had no validation set.
struct NN_API EpochRecord {
  int64_t epoch = 0;            ///< the epoch's number, from 0
  double train_loss = 0.0;      ///< mean over the epoch's samples (batch losses weighted by batch size)
  double train_accuracy = 0.0;  ///< from the training forward passes, before each step
  double val_loss = 0.0;        ///< in evaluation mode, after the epoch
  double val_accuracy = 0.0;    ///< on the validation set, after the epoch
  double lr = 0.0;              ///< the optimizer's rate during the epoch (before the scheduler stepped)
  double seconds = 0.0;         ///< wall time of the epoch, validation included
  double samples_per_second = 0.0;  ///< training samples over the training part of `seconds`
  int64_t samples = 0;          ///< training samples in the epoch
  bool has_validation() const;  ///< true when val_loss is a number (fit had a validation set)
};

/// The running sums of the epoch in progress; `epoch` is -1 when none is.
struct NN_API EpochTotals {
  int64_t epoch = -1;     ///< the epoch in progress (0-based); -1: none
  int64_t batches = 0;  ///< batches done in the epoch
  int64_t samples = 0;    ///< samples trained in the epoch so far
  double loss_sum = 0.0;  ///< sum of batch loss * batch size
  int64_t correct = 0;    ///< classification only
  double train_seconds = 0.0;  ///< training time of the epoch so far, in seconds
  /// loss_sum / samples (0 before the first sample).
  double mean_loss() const { return samples > 0 ? loss_sum / static_cast<double>(samples) : 0.0; }
  /// correct / samples, in [0, 1] (0 before the first sample).
  double accuracy() const { return samples > 0 ? static_cast<double>(correct) / static_cast<double>(samples) : 0.0; }
};

/// Everything Trainer::fit records: the finished epochs, the sums of one in progress and why it
/// stopped. Trainer::fit returns it; pass it back to fit to resume.
/// @code
/// nn::train::History h = trainer.fit(model, loss, opt, train, &val, {.epochs = 20});
/// std::vector<double> curve = h.series("val_loss");
/// @endcode
struct NN_API History {
  std::vector<EpochRecord> epochs;  ///< the finished epochs, in order
  /// Set while an epoch runs, cleared when it is recorded; a run stopped inside an epoch keeps it.
  EpochTotals partial;
  /// Why training ended before its last epoch ("" when it ran to the end): a callback's reason.
  std::string stop_reason;

  size_t size() const { return epochs.size(); }  ///< the number of finished epochs
  bool empty() const { return epochs.empty(); }  ///< true when no epoch has finished
  const EpochRecord& back() const { return epochs.back(); }  ///< the last finished epoch (undefined when empty())
  const EpochRecord& operator[](size_t i) const { return epochs[i]; }  ///< finished epoch i (unchecked)

  /// One figure over all epochs, by name: "train_loss", "train_accuracy", "val_loss",
  /// "val_accuracy", "lr", "seconds", "samples_per_second". nn::Error for an unknown name.
  std::vector<double> series(std::string_view name) const;
  /// A figure of one record by name (as above); nn::Error for an unknown name.
  static double value(const EpochRecord& record, std::string_view name);
  /// The names value() knows.
  static const std::vector<std::string>& metric_names();
};

// ---- JSON: the one form of these records in files (metrics.jsonl, checkpoints, the report) ----
//
// A figure is a JSON number (the shortest text that reads back to the same double), or null when
// it is not finite; null reads back as NaN. Files written before this rule spelled non-finite
// figures "nan", "inf" and "-inf"; those still read. A missing figure reads as NaN. `where` names
// the file and place in errors ("run/metrics.jsonl: line 3", "c.safetensors: state.history").

/// A figure as JSON: a number, or null when it is not finite.
NN_API nlohmann::json figure_to_json(double value);
/// A figure from JSON: a number; null, a missing value, "nan", "inf" or "-inf" as above. nn::Error
/// (naming `where`) for anything else.
NN_API double figure_from_json(const nlohmann::json& j, const std::string& where);

/// {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
/// "samples_per_second", "samples"}. `first_epoch` is the number the file gives EpochRecord::epoch
/// 0: checkpoints count from 0 like EpochRecord, the metrics file people read counts from 1.
/// Reading: "epoch" must be an integer; "samples" a non-negative integer or absent (0); unknown
/// keys are ignored.
NN_API nlohmann::json to_json(const EpochRecord& record, int64_t first_epoch = 0);
/// Reads what to_json(const EpochRecord&, int64_t) writes; nn::Error naming `where` and the key.
NN_API EpochRecord epoch_record_from_json(const nlohmann::json& j, const std::string& where, int64_t first_epoch = 0);

/// {"epoch", "batches", "samples", "loss_sum", "correct", "train_seconds"}; all required.
NN_API nlohmann::json to_json(const EpochTotals& totals);
/// Reads what to_json(const EpochTotals&) writes; nn::Error naming `where` and the key.
NN_API EpochTotals epoch_totals_from_json(const nlohmann::json& j, const std::string& where);

/// {"epochs": [records counted from 0], "partial": totals, "stop_reason": text}.
NN_API nlohmann::json to_json(const History& history);
/// Reads what to_json(const History&) writes; nn::Error naming `where` and the field.
NN_API History history_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace nn::train
