/// @file
/// @brief The training report: one self-contained HTML file and its pictures.
///
/// The HTML file needs no network, scripts, external fonts or files (pictures are inline SVG,
/// raster images inside them are data URIs). It shows the learning curves, the learning-rate
/// schedule, the decision regions (2-D data), the confusion matrix and per-class table, a grid of
/// test images (image data), the run's settings and its timing. Every picture is also written next
/// to it as its own SVG (and PNG where it is a raster). All files are written atomically.
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nn/report/decision_regions.hpp"
#include "nn/report/image.hpp"
#include "nn/report/image_grid.hpp"
#include "nn/train/history.hpp"
#include "nn/train/metrics.hpp"

namespace nn::report {

/// Labelled values shown as a table, in order: {"final val accuracy", "89.1%"}.
using KeyValues = std::vector<std::pair<std::string, std::string>>;

/// One picture of the report: an SVG document and, for rasters, the PNG written beside it.
struct NN_API Figure {
  std::string name;   ///< file stem in the report folder: "loss" -> loss.svg (and loss.png)
  std::string title;  ///< section heading
  std::string svg;    ///< the SVG document (inlined into the HTML)
  std::optional<Image> png;  ///< the raster, written as NAME.png; unset for pure vector figures
  std::string caption;       ///< a line of text under the picture; may be empty
};

/// One row of the report's layer-by-layer table.
struct NN_API LayerRow {
  std::string name;          ///< the child's name in the model ("0", "fc1")
  std::string layer;         ///< what it is, as PyTorch prints it ("Linear(in_features=784, ...)")
  std::string output_shape;  ///< one sample's output shape after this layer ("[128]")
  int64_t parameters = 0;    ///< trainable values of this layer
};

/// Everything a report shows; what is unset or empty is left out.
struct NN_API ReportContent {
  std::string title = "nn training report";  ///< the page title
  std::string subtitle;  ///< one line under the title (data and model)
  KeyValues summary;     ///< headline figures: final loss, accuracy, ...
  KeyValues settings;    ///< data, model, optimizer, seed, threads, version, ...
  KeyValues timing;      ///< training time, samples per second, ...
  train::History history;  ///< the epochs: learning curves and the lr chart
  /// Classification results on `evaluated_on` ("test set, 10000 samples"), when there are any.
  std::string evaluated_on;
  std::optional<train::ConfusionMatrix> confusion;  ///< on `evaluated_on`, for the matrix and per-class table
  std::vector<std::string> class_names;  ///< names by label (may be shorter than the class count)
  std::optional<DecisionRegions> regions;  ///< the decision regions of 2-feature data
  std::optional<ImageGrid> images;         ///< a grid of test images with their predictions
  std::vector<Figure> extra;  ///< more pictures (a classic neuron's errors per epoch, ...)
  std::string extra_heading = "More pictures";  ///< the heading over `extra`
  std::vector<LayerRow> layers;  ///< the model layer by layer (input shape in `input_shape`); empty: no table
  std::string input_shape;       ///< one sample's input shape ("[784]"), shown above the layer table
};

/// The figures the content makes, in report order: loss, accuracy, lr, decision_regions,
/// confusion_matrix, image_grid, then `extra`.
NN_API std::vector<Figure> report_figures(const ReportContent& content);

/// The HTML page alone, with `figures` (from report_figures) inlined.
NN_API std::string report_html(const ReportContent& content, const std::vector<Figure>& figures);

/// Creates `dir` if needed and writes report.html and every figure into it. Returns the paths
/// written, report.html last. @throws nn::Error when the folder cannot be created or a write fails.
NN_API std::vector<std::filesystem::path> write_report(const std::filesystem::path& dir, const ReportContent& content);

}  // namespace nn::report
