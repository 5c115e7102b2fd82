/// @file
/// @brief Decision regions of a two-feature classifier, drawn as the classic decision-boundary
/// plots of the Perceptron and Adaline draw them.
///
/// The classifier is evaluated on a grid over the data's range, each cell coloured by its predicted
/// class (Okabe-Ito colours, lightened), the boundaries outlined, and the data points drawn on top
/// as circles with a dark edge in their true class's colour.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/report/image.hpp"
#include "nn/tensor.hpp"

namespace nn::report {

/// The predicted class of every row of x ([B, 2]) written to out (B entries, each >= 0).
using Classifier = std::function<void(const Tensor& x, std::span<int32_t> out)>;

/// How decision_regions samples and draws.
struct NN_API DecisionRegionOptions {
  int64_t grid = 300;        ///< grid points per side
  int64_t batch = 4096;      ///< grid points per classifier call
  int64_t max_points = 1500;  ///< data points drawn at most (evenly strided over the dataset)
  double margin = 0.15;      ///< fraction of the data's range added on each side
  int64_t pixel_scale = 2;   ///< image pixels per grid cell
  std::string title = "Decision regions";  ///< the picture's title
  /// @var x_label
  /// The x axis label (the first feature).
  /// @var y_label
  /// The y axis label (the second feature).
  std::string x_label = "feature 1", y_label = "feature 2";
  std::vector<std::string> class_names{};  ///< legend; default: the dataset's, else "class i"
};

/// The result of decision_regions: the grid's predictions and the pictures drawn from them.
struct NN_API DecisionRegions {
  /// @var x0
  /// The plotted extent: the left end of the x range (the first feature).
  /// @var x1
  /// The right end of the x range.
  /// @var y0
  /// The bottom end of the y range (the second feature).
  /// @var y1
  /// The top end of the y range.
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  int64_t grid = 0;         ///< grid points per side
  int64_t num_classes = 0;  ///< the classes in the legend (the dataset's and any the classifier predicted)
  std::vector<int32_t> classes;  ///< grid x grid predictions, row 0 at the top (y1), column 0 at x0
  Image regions;                 ///< the coloured regions and their boundaries, without points
  Image picture;                 ///< regions with the data points drawn on top (the PNG file)
  std::string svg;               ///< regions embedded as a PNG, points, axes, ticks, legend, title
};

/// `points` is a two-feature classification dataset (labels colour the points); nn::Error for any
/// other shape, an empty dataset or a classifier answer out of range.
NN_API DecisionRegions decision_regions(const Classifier& classify, const data::Dataset& points,
                                        const DecisionRegionOptions& options = {});

}  // namespace nn::report
