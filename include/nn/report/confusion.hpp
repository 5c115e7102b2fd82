/// @file
/// @brief The confusion matrix and per-class precision/recall/F1 as HTML tables and as an SVG
/// picture.
///
/// Cells are coloured by the fraction of their row (the true class) on the viridis map, so the
/// diagonal reads as recall; the text colour is black or white, whichever is more readable. Class
/// names are escaped for HTML/XML.
#pragma once

#include "nn/export.hpp"

#include <string>
#include <vector>

#include "nn/train/metrics.hpp"

namespace nn::report {

/// The confusion matrix as an HTML table (rows: true class, columns: predicted). class_names may be
/// shorter than the class count (the rest are numbered).
NN_API std::string confusion_matrix_html(const train::ConfusionMatrix& cm, const std::vector<std::string>& class_names);
/// Per-class precision, recall, F1 and support, then the macro averages and accuracy, as an HTML
/// table; class_names as for confusion_matrix_html.
NN_API std::string classification_report_html(const train::ClassificationReport& report,
                                              const std::vector<std::string>& class_names);
/// The confusion matrix as a standalone SVG document with `title`; class_names as above.
NN_API std::string confusion_matrix_svg(const train::ConfusionMatrix& cm, const std::vector<std::string>& class_names,
                                        const std::string& title = "Confusion matrix");

}  // namespace nn::report
