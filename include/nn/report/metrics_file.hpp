/// @file
/// @brief The per-epoch metrics file of a run (JSON Lines, what `nn train --metrics-out` writes).
///
/// One object per epoch, train::to_json(record, 1): {"epoch": 1-based, "train_loss",
/// "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds", "samples_per_second",
/// "samples"}, null for a figure that does not apply or is not finite.
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <string>
#include <string_view>

#include "nn/train/history.hpp"

namespace nn::report {

/// The file's text: one line per finished epoch of `history`, each ending in a newline.
NN_API std::string metrics_jsonl(const train::History& history);
/// Parses the text; `what` names it in errors (nn::Error naming the line for bad JSON, a missing
/// epoch or a figure that is not a number or null). Unknown keys are ignored; missing figures are NaN.
NN_API train::History parse_metrics_jsonl(std::string_view text, std::string_view what = "metrics");
/// Reads and parses a metrics file; errors name the path (nn::Error also for a missing or
/// unreadable file).
NN_API train::History read_metrics_jsonl(const std::filesystem::path& path);

}  // namespace nn::report
