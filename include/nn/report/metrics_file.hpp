// The per-epoch metrics file of a run (JSON Lines, what `nn train --metrics-out` writes): one object
// per epoch {"epoch": 1-based, "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr",
// "seconds", "samples_per_second"}, null for a figure that does not apply.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "nn/train/history.hpp"

namespace nn::report {

std::string metrics_jsonl(const train::History& history);
// Parses the text; `what` names it in errors (nn::Error naming the line for bad JSON or a missing
// epoch). Unknown keys are ignored; missing figures are NaN.
train::History parse_metrics_jsonl(std::string_view text, std::string_view what = "metrics");
train::History read_metrics_jsonl(const std::filesystem::path& path);

}  // namespace nn::report
