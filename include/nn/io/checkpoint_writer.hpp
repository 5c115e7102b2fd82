/// @file
/// @brief nn::io::CheckpointWriter, the Trainer callback that writes checkpoints (io/checkpoint.hpp)
/// while a run trains.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "nn/io/checkpoint.hpp"
#include "nn/json_value.hpp"
#include "nn/layers/module.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/history.hpp"

namespace nn::io {

/// What a CheckpointWriter writes, where and when.
struct NN_API CheckpointWriterOptions {
  std::filesystem::path dir{};  ///< the folder of last.safetensors and best.safetensors; created when missing
  int64_t every_batches = 0;   ///< also write last every N optimizer steps; 0: only at epoch ends
  /// The History figure that decides best.safetensors; "": val_loss with validation, else
  /// train_loss. Accuracies are maximised, everything else minimised; NaN never improves.
  std::string monitor{};
  JsonValue settings{};  ///< a JSON object, stored in every checkpoint
  std::map<std::string, std::string> metadata{};       ///< more `__metadata__` entries, stored in every checkpoint
  /// Asked after every batch (when set): true writes DIR/last.safetensors at that batch, whatever
  /// every_batches says. The CLI returns true once a signal asked training to stop, so that the
  /// interrupted run leaves a checkpoint from which --resume continues exactly.
  std::function<bool()> write_now{};
  /// Test hook: runs between the complete temporary file and its rename (`state` holds everything
  /// but the tensors). Empty: none.
  std::function<void(const std::filesystem::path& temporary, const CheckpointState& state)> before_rename{};
  /// Test hook: runs after a checkpoint is in place at `path` (`state` holds everything but the
  /// tensors). Empty: none.
  std::function<void(const std::filesystem::path& path, const CheckpointState& state)> after_write{};
};

/// Writes DIR/last.safetensors every `every_batches` steps and at every epoch end, and
/// DIR/best.safetensors at an epoch end where the monitored figure improved. A step that ends an
/// epoch is written at the epoch end only (with the validation figures). A non-finite loss makes
/// Trainer::fit throw before the step and before any callback, so nothing is written then and both
/// files keep their last complete content. On construction, temporary files left in DIR by a
/// killed save (".last.safetensors.tmp.*", ".best.safetensors.tmp.*") are removed.
///
/// The writer keeps pointers to the model, optimizer, scheduler and history that Trainer::fit hands
/// to on_train_begin; they must outlive the fit. A failed write throws nn::Error out of the
/// callback, and so out of Trainer::fit.
/// @code
/// nn::io::CheckpointWriter ckpt({.dir = "run", .every_batches = 500, .settings = settings});
/// trainer.add_callback(ckpt);
/// @endcode
class NN_API CheckpointWriter : public train::Callback {
 public:
  /// Creates `options.dir` when missing and removes the temporaries a killed save left there.
  /// @throws nn::Error for an empty dir, a negative every_batches, or a folder that cannot be created.
  explicit CheckpointWriter(CheckpointWriterOptions options);

  /// DIR/last.safetensors: the latest checkpoint, the one a resume reads.
  static std::filesystem::path last_path(const std::filesystem::path& dir) { return dir / "last.safetensors"; }
  /// DIR/best.safetensors: the checkpoint of the best monitored epoch end.
  static std::filesystem::path best_path(const std::filesystem::path& dir) { return dir / "best.safetensors"; }

  /// A resumed run: the best figure of the checkpoint it resumed from.
  void set_best(double value, int64_t epoch);
  double best() const { return best_; }  ///< the best monitored figure so far (NaN: none yet)
  int64_t best_epoch() const { return best_epoch_; }  ///< the epoch (0-based) of best(); -1: none yet
  int64_t writes() const { return writes_; }  ///< files written so far
  /// The History figure monitored ("val_loss"); set by on_train_begin (empty before).
  const std::string& monitor() const { return monitor_; }

  /// Takes the fit's model, optimizer, scheduler and history, and resolves the monitored figure.
  /// @throws nn::Error for an unknown monitor name.
  void on_train_begin(const train::TrainBegin& info) override;
  /// Writes last.safetensors every `every_batches` optimizer steps (not on an epoch's last batch).
  void on_batch_end(const train::BatchEnd& batch) override;
  /// Writes last.safetensors, and best.safetensors when the monitored figure improved.
  void on_epoch_end(int64_t epoch, const train::EpochRecord& record) override;

 private:
  void write(const std::filesystem::path& path, int64_t epoch, int64_t batch, int64_t step,
             const train::History& history);

  CheckpointWriterOptions options_;
  std::string monitor_;
  bool maximize_ = false;
  double best_ = std::numeric_limits<double>::quiet_NaN();
  int64_t best_epoch_ = -1;
  int64_t writes_ = 0;
  Module* model_ = nullptr;
  Optimizer* optimizer_ = nullptr;
  Scheduler* scheduler_ = nullptr;
  const train::History* history_ = nullptr;
  int64_t batches_per_epoch_ = 0;
};

}  // namespace nn::io
