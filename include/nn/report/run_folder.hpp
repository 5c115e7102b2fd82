/// @file
/// @brief nn::report::RunFolder, the run folder of a training run (`nn train --report DIR`, read
/// back by `nn report DIR`).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/data/dataset.hpp"
#include "nn/data/scaler.hpp"
#include "nn/json_value.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/report/report.hpp"
#include "nn/tensor.hpp"
#include "nn/train/history.hpp"

namespace nn::report {

inline constexpr const char* kRunFormat = "nn.run";  ///< the "format" field of run.json
inline constexpr int kRunFormatVersion = 1;  ///< the run.json version this library writes and reads

/// run.json: what the run was and how it went, all but the per-epoch figures.
struct NN_API RunInfo {
  std::string nn_version;  ///< the version of nn that trained the run
  std::string finished;  ///< UTC, "2026-01-31T12:00:00Z"
  /// The run's settings by name ("data", "model", "optimizer", "lr", "seed", "threads", ...): the
  /// report lists them, and `nn report` reloads the data they name.
  JsonValue settings;  ///< a JSON object
  std::string data_description;  ///< the data in words ("fashion-mnist, 60000 train / 10000 test")
  bool images = false;  ///< the samples are images
  int64_t train_samples = 0;  ///< samples in the training part
  int64_t val_samples = 0;    ///< samples in the validation part (0: none)
  int64_t parameters = 0;     ///< trainable parameters of the model
  std::string stop_reason;  ///< why training stopped early; "" when it ran every epoch
  double train_seconds = 0.0;  ///< wall time of training, in seconds
  int64_t epochs_run = 0;       ///< epochs this run trained

  nlohmann::json to_json() const;  ///< run.json's content, with format and version
  /// Checks format and version; `what` names the file in errors. Missing figures keep their defaults.
  static RunInfo from_json(const nlohmann::json& j, std::string_view what);
  bool operator==(const RunInfo&) const = default;  ///< field by field
};

/// What a report judges the model on; the caller keeps the data and the loss alive.
struct NN_API ReportData {
  Loss* loss = nullptr;                     ///< the loss the model trained with
  const data::Dataset* judged = nullptr;    ///< prepared as the model takes it (scaled, shaped); null: none
  std::string judged_on;                    ///< "test set (10000 samples)", ...
  const data::Dataset* raw_points = nullptr;  ///< 2-feature classification data as loaded: decision regions
};

/// Everything a run folder holds, in memory. The folder's files:
/// @code{.unparsed}
///   run.json            settings, data description, sizes and timing (format "nn.run", version 1)
///   metrics.jsonl       one JSON object per epoch (report/metrics_file)
///   model.safetensors   the trained model with its input scaler (io/model_scaler)
///   report.html         the self-contained report, and every picture of it as .svg (and .png)
/// @endcode
/// Training fills a RunFolder and writes it, and the report is built from it; read() gives the same
/// RunFolder back from the files, so both reports are identical.
class NN_API RunFolder {
 public:
  RunInfo info;           ///< run.json
  train::History history;  ///< metrics.jsonl (and the stop reason)
  std::unique_ptr<Sequential> model;  ///< the trained model (owned); model.safetensors
  Shape input_shape;  ///< of one sample
  data::Scaler scaler;  ///< the input scaling saved with the model
  /// More metadata of model.safetensors ("nn.loss", "nn.data", ...); read back: all of the file's.
  std::map<std::string, std::string> model_metadata;
  /// (optimizer step, batch loss) of every step when the run logged them (nn train --log-steps):
  /// written as steps.txt ("STEP LOSS" lines) and drawn as the per-step loss curve; empty: none.
  std::vector<std::pair<int64_t, double>> steps;

  /// Writes model.safetensors, metrics.jsonl and run.json into dir (created if needed), each
  /// atomically. @throws nn::Error when there is no model, a weight is not finite, or a write fails.
  void write(const std::filesystem::path& dir) const;
  /// Reads them back; nn::Error naming the file for a missing or malformed one.
  static RunFolder read(const std::filesystem::path& dir);

  /// The report: summary, curves, settings and timing from the record; confusion matrix, image grid
  /// and decision regions from evaluating the model on `data` (non-const: the model runs forward).
  /// @throws nn::Error when there is no model, or `data` names datasets but no loss.
  ReportContent report_content(const ReportData& data);
  /// report_content() written to out_dir (report.html and its pictures); the paths, report.html last.
  std::vector<std::filesystem::path> write_report(const std::filesystem::path& out_dir, const ReportData& data);
};

/// The "STEP LOSS" lines of a step log (nn train --log-steps, a run folder's steps.txt), read
/// bounded; nn::Error naming the file and line for anything else.
NN_API std::vector<std::pair<int64_t, double>> read_steps(const std::filesystem::path& path);

}  // namespace nn::report
