// Decision regions of a two-feature classifier, as seed 000's plot_decision_boundaries draws them:
// the classifier is evaluated on a grid over the data's range, each cell coloured by its predicted
// class (Okabe-Ito colours, lightened), the boundaries outlined, and the data points drawn on top
// as circles with a dark edge in their true class's colour.
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

struct NN_API DecisionRegionOptions {
  int64_t grid = 300;        ///< grid points per side
  int64_t batch = 4096;      ///< grid points per classifier call
  int64_t max_points = 1500;  ///< data points drawn at most (evenly strided over the dataset)
  double margin = 0.15;      ///< fraction of the data's range added on each side
  int64_t pixel_scale = 2;   ///< image pixels per grid cell
  std::string title = "Decision regions";
  std::string x_label = "feature 1", y_label = "feature 2";
  std::vector<std::string> class_names{};  ///< legend; default: the dataset's, else "class i"
};

struct NN_API DecisionRegions {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;  ///< the plotted extent
  int64_t grid = 0;
  int64_t num_classes = 0;
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
