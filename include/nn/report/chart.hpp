/// @file
/// @brief Line charts written as SVG text (no library): labelled axes with "nice" tick values, a
/// legend and a title.
///
/// Loss and accuracy curves, the learning-rate schedule and the errors or losses per epoch of the
/// classic neurons are all such charts. Same input, same bytes.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/report/color.hpp"

namespace nn::report {

/// Escapes & < > " ' for XML text and attribute values.
NN_API std::string xml_escape(std::string_view text);

/// Tick values for an axis over [lo, hi]: multiples of 1, 2 or 5 x 10^k, about `target` of them,
/// the first <= lo and the last >= hi (the axis range is widened to them). lo == hi is widened
/// around the value.
struct NN_API Ticks {
  /// @var lo
  /// The axis start: the first tick, <= the data's low end.
  /// @var hi
  /// The axis end: the last tick, >= the data's high end.
  /// @var step
  /// The distance between ticks (1, 2 or 5 x 10^k on a linear axis).
  double lo = 0.0, hi = 1.0, step = 1.0;
  std::vector<double> values;  ///< the tick values, lo to hi
};
/// Ticks for a linear axis over [lo, hi], about `target` of them (see Ticks).
NN_API Ticks nice_ticks(double lo, double hi, int target = 6);
/// Ticks at powers of ten (and 2 and 5 times them when the range is short) for a log axis; lo, hi > 0.
NN_API Ticks log_ticks(double lo, double hi);
/// A tick label: as few decimals as the step needs ("0.25", "1e-04" for tiny or huge values).
NN_API std::string format_tick(double value, double step);

/// One line of a chart.
struct NN_API Series {
  std::string name;         ///< legend entry; empty: not in the legend
  /// @var x
  /// The x value of each point.
  /// @var y
  /// The y value of each point: same length as x; a non-finite y breaks the line.
  std::vector<double> x, y;
  Rgb color{0, 114, 178};  ///< the line's colour (default: Okabe-Ito blue)
  bool dashed = false;     ///< draw the line dashed (validation curves)
  std::optional<bool> markers{};  ///< draw a dot per point; default: when the series has <= 40 points
};

/// The frame of a chart: size, labels, axis ranges and scale.
struct NN_API ChartOptions {
  /// @var title
  /// The chart's title, above it.
  /// @var x_label
  /// The x axis label.
  /// @var y_label
  /// The y axis label.
  std::string title, x_label, y_label;
  /// @var width
  /// The SVG width, in pixels.
  /// @var height
  /// The SVG height, in pixels.
  int width = 560, height = 360;
  bool integer_x = true;  ///< x ticks are whole numbers (epochs)
  /// @var y_min
  /// Axis range: the y axis start; unset: from the data.
  /// @var y_max
  /// The y axis end; unset: from the data.
  /// @var y_floor
  /// The lowest start the automatic range may have (accuracy stays within [0, 1]); unset: none.
  /// @var y_ceil
  /// The highest end the automatic range may have; unset: none.
  std::optional<double> y_min{}, y_max{}, y_floor{}, y_ceil{};
  /// Log scale for y: always, never, or (unset) when all values are positive and span more than
  /// a factor of 50.
  std::optional<bool> log_y{};
  double y_scale = 1.0;  ///< tick labels show value * y_scale (100 for percentages)
};

/// The chart as a standalone SVG document (with XML declaration); nn::Error when a series' x and y
/// lengths differ.
NN_API std::string line_chart_svg(std::span<const Series> series, const ChartOptions& options);

/// One value per epoch (epochs numbered from 1) drawn with markers, as the classic plots of a
/// perceptron's errors or Adaline's mean squared error per epoch.
NN_API std::string epoch_chart_svg(std::span<const double> values, const ChartOptions& options,
                                   Rgb color = {0, 114, 178});

/// The SVG document without its XML declaration, for inlining into HTML.
NN_API std::string_view svg_element(std::string_view svg_document);

}  // namespace nn::report
