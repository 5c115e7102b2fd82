// The confusion matrix and per-class precision/recall/F1 as HTML tables and as an SVG picture.
// Cells are coloured by the fraction of their row (the true class) on the viridis map, so the
// diagonal reads as recall; the text colour is black or white, whichever is more readable.
#pragma once

#include "nn/export.hpp"

#include <string>
#include <vector>

#include "nn/train/metrics.hpp"

namespace nn::report {

/// class_names may be shorter than the class count (the rest are numbered).
NN_API std::string confusion_matrix_html(const train::ConfusionMatrix& cm, const std::vector<std::string>& class_names);
NN_API std::string classification_report_html(const train::ClassificationReport& report,
                                              const std::vector<std::string>& class_names);
NN_API std::string confusion_matrix_svg(const train::ConfusionMatrix& cm, const std::vector<std::string>& class_names,
                                        const std::string& title = "Confusion matrix");

}  // namespace nn::report
