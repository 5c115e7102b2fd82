/// @file
/// @brief Checkpoints: everything an exact resume of training needs, in one safetensors file written
/// atomically.
///
/// Tensors: the model's under "model.<name>" and the optimizer's state of each parameter under
/// "optim.<name>.<k>" (k: the slot of Optimizer::state(i)). `__metadata__`: the format and its
/// version, the position (epoch, batch within the epoch, global step), the optimizer's step count,
/// the scheduler's epoch, the RNG states, the History (finished epochs and the sums of the epoch in
/// progress), the best monitored figure so far, and the settings that must match for a resume
/// (architecture, data, optimizer and its settings, loss, batch size, seed...) as canonical JSON
/// together with their FNV-1a 64 hash.
///
/// A resumed run loads the checkpoint, checks its settings against its own with
/// check_resume_settings (a refusal says what differs), puts the state back with
/// restore_training_state and calls Trainer::fit with FitOptions{.start_epoch = state.epoch,
/// .start_batch = state.batch} and state.history. CheckpointWriter (io/checkpoint_writer.hpp) writes
/// them during training.
/// @code
/// nn::io::CheckpointState state = nn::io::load_checkpoint("run/last.safetensors");
/// nn::io::check_resume_settings(state, settings);
/// nn::io::restore_training_state(state, model, optimizer, &scheduler);
/// fit_options.start_epoch = state.epoch;
/// fit_options.start_batch = state.batch;
/// trainer.fit(model, loss, optimizer, train, &val, fit_options, &scheduler, state.history);
/// @endcode
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "nn/io/model_io.hpp"
#include "nn/json_value.hpp"
#include "nn/layers/module.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/random.hpp"
#include "nn/train/history.hpp"

namespace nn::io {

inline constexpr const char* kCheckpointFormat = "nn.checkpoint";  ///< the format name in a checkpoint's `__metadata__`
inline constexpr int kCheckpointFormatVersion = 1;  ///< the format version this library writes and reads

/// The content of a checkpoint, in memory: what save_checkpoint writes and load_checkpoint returns.
struct NN_API CheckpointState {
  StateDict model;             ///< the model's parameters and buffers by dotted name ("0.weight", "1.running_mean")
  std::string optimizer_type;  ///< Optimizer::type_name()
  StateDict optimizer;         ///< "<param name>.<k>": state tensor k of that parameter (stored as "optim.<...>")
  int64_t optimizer_steps = 0;   ///< the optimizer's step count (Adam's bias correction uses it)
  int64_t scheduler_epoch = -1;  ///< -1: no scheduler

  /// Where training stands. Resume with FitOptions{.start_epoch = epoch, .start_batch = batch}.
  int64_t epoch = 0;  ///< the epoch in progress (batch > 0) or the next one to run (batch == 0)
  int64_t batch = 0;  ///< batches of `epoch` already trained
  int64_t step = 0;   ///< optimizer steps since the start of training
  /// "global": nn::global_rng(); "<spec name>:<module path>": a layer's generator named "rng"
  /// (Module::named_rngs), e.g. "dropout:3" for Dropout's mask stream "3.rng"; "<dotted name>":
  /// any other generator of the model.
  std::map<std::string, Rng::State> rngs;  ///< generator states, by the keys above
  train::History history;                  ///< finished epochs; partial: the sums of `epoch`'s first `batch` batches

  /// The name of the monitored History figure ("val_loss") that decides best.safetensors.
  std::string monitor;
  double best = std::numeric_limits<double>::quiet_NaN();  ///< the best monitored figure at an epoch end so far (NaN: none yet)
  int64_t best_epoch = -1;  ///< the epoch of `best`; -1: none yet

  /// Everything that must match for an exact resume (not the number of epochs).
  JsonValue settings;  ///< a JSON object
  /// More `__metadata__` entries for the caller (keys must not be the checkpoint's own).
  std::map<std::string, std::string> metadata;
};

/// FNV-1a 64 of bytes, continuing from `hash`.
NN_API uint64_t fnv1a64(const void* data, size_t size, uint64_t hash = 0xcbf29ce484222325ull);
/// FNV-1a 64 of the canonical JSON text of `settings` (object keys sorted, no spaces).
NN_API uint64_t settings_hash(const nlohmann::json& settings);

// nn::json_float (optim/optimizer.hpp), a float as JSON with its shortest decimal spelling, is
// also reachable as nn::io::json_float.
using nn::json_float;
/// The optimizer's type and settings, Optimizer::settings(): {"type": "SGD", "lr": 0.01,
/// "momentum": 0.9, ...}; lr is the initial rate (schedulers change the current one).
NN_API nlohmann::json optimizer_settings(const Optimizer& optimizer);

/// Compares two settings objects: "" when `saved` and `wanted` are equal; otherwise what differs, as
/// "the checkpoint was trained with optimizer.type Adam, optimizer.lr 0.001; this run asks for
/// optimizer.type SGD, optimizer.lr 0.01" (keys as dotted paths, "(none)" where a key is absent).
NN_API std::string settings_difference(const nlohmann::json& saved, const nlohmann::json& wanted);
/// nn::Error "resume: <where>: <settings_difference>" unless the checkpoint's settings equal `wanted`.
NN_API void check_resume_settings(const CheckpointState& checkpoint, const nlohmann::json& wanted,
                                  const std::string& where = "the checkpoint");

/// Fills the model (parameters and buffers), optimizer, scheduler and RNG parts (the global one and
/// every generator of the model, Module::named_rngs: Dropout's masks) of `state` from live objects
/// (copies).
NN_API void capture_training_state(CheckpointState& state, Module& model, Optimizer& optimizer,
                                   const Scheduler* scheduler);
/// Puts them back: the weights and buffers, the optimizer's state tensors and step count, the
/// scheduler's epoch and the RNG states ("global" into nn::global_rng(), each of the model's
/// generators from its key). The model must have its shapes (run one forward first when layers infer their input size).
/// nn::Error naming any tensor or generator that is missing, unexpected or shaped differently, or a
/// different optimizer type; nothing is changed then.
NN_API void restore_training_state(const CheckpointState& state, Module& model, Optimizer& optimizer,
                                   Scheduler* scheduler);

/// Writes the checkpoint atomically (temporary file, fsync, rename, fsync of the folder).
/// `before_rename`, when given, runs after the temporary file is complete and before the rename
/// (tests use it to kill the process there).
NN_API void save_checkpoint(const std::filesystem::path& path, const CheckpointState& state,
                            const std::function<void(const std::filesystem::path& temporary)>& before_rename = {});
/// Writes a checkpoint of live training objects without copying a tensor: the model's and the
/// optimizer's tensors straight from them, the optimizer type and steps, the scheduler's epoch and
/// the RNG states captured into `state` here, and everything else (position, history, best,
/// settings, metadata) from `state`, whose `model` and `optimizer` dicts are not used.
NN_API void save_live_checkpoint(const std::filesystem::path& path, CheckpointState& state, Module& model,
                                 Optimizer& optimizer, const Scheduler* scheduler,
                                 const std::function<void(const std::filesystem::path& temporary)>& before_rename = {});
/// Reads and validates a checkpoint (tensors and metadata): nn::Error naming the file and the field
/// for a file that is
/// missing, not a checkpoint, of an unknown format version, or inconsistent (its settings hash
/// included).
NN_API CheckpointState load_checkpoint(const std::filesystem::path& path);
/// Whether the file is a checkpoint (by its `__metadata__`), for tools that take models or checkpoints.
NN_API bool is_checkpoint_file(const std::filesystem::path& path);
/// The checkpoint a path names: the path itself for a file, FOLDER/last.safetensors for a folder
/// (CheckpointWriter::last_path).
NN_API std::filesystem::path resolve_checkpoint_path(const std::filesystem::path& path);

}  // namespace nn::io

// The callback that writes checkpoints during Trainer::fit, for code that includes this header for it.
#include "nn/io/checkpoint_writer.hpp"

