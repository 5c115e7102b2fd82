/// @file
/// @brief Colours for pictures: the viridis map (sequential, colour-blind safe, readable in
/// greyscale) and the Okabe-Ito palette (categorical, distinguishable under the common
/// colour-vision deficiencies).
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <string>

namespace nn::report {

/// An 8-bit sRGB colour.
struct NN_API Rgb {
  /// @var r
  /// Red, 0..255.
  /// @var g
  /// Green, 0..255.
  /// @var b
  /// Blue, 0..255.
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;  ///< equal channels
};

/// The colour as "#rrggbb" (lower-case hex).
NN_API std::string hex(Rgb c);

/// Viridis at t in [0, 1] (clamped; NaN gives t = 0): dark purple -> blue -> green -> yellow.
NN_API Rgb viridis(double t);

/// The i-th colour for class i (i >= 0): the seven coloured Okabe-Ito entries (orange, sky blue,
/// bluish green, yellow, blue, vermillion, reddish purple), then grey, then viridis samples for
/// more than eight classes.
NN_API Rgb category_color(int64_t i);

/// a blended towards b: (1 - t) a + t b.
NN_API Rgb mix(Rgb a, Rgb b, double t);

/// Relative luminance (WCAG, 0 black .. 1 white).
NN_API double luminance(Rgb c);

/// Black or white, whichever is more readable on `background`.
NN_API Rgb text_color_on(Rgb background);

}  // namespace nn::report
