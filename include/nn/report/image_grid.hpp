/// @file
/// @brief A grid of sample images (Fashion-MNIST's 28x28) with the predicted class under each and
/// the true class too where the prediction is wrong; misclassified images get a vermillion frame.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/report/image.hpp"

namespace nn::report {

/// How image_grid lays out the images.
struct NN_API ImageGridOptions {
  /// @var rows
  /// Rows of images in the grid, >= 1.
  /// @var cols
  /// Images per row, >= 1.
  int64_t rows = 8, cols = 8;
  int64_t scale = 3;  ///< screen pixels per image pixel, 1..16
  std::string title = "Test images";  ///< the picture's title
  std::vector<std::string> class_names{};  ///< default: the dataset's, else the class number
};

/// The result of image_grid.
struct NN_API ImageGrid {
  /// @var shown
  /// The number of images in the grid.
  /// @var wrong
  /// How many of them are misclassified (framed).
  int64_t shown = 0, wrong = 0;
  Image picture;    ///< the images in a grid, framed (no text): the PNG file
  std::string svg;  ///< each image embedded as a PNG, frames, labels, title
};

/// The first rows * cols samples of `images` (a classification dataset of [H, W], [1, H, W] or
/// [3, H, W] samples, or 784 features read as 28x28), with `predicted` holding a class for each of
/// them at least. Pixel values are mapped to grey levels by the range of the samples shown.
/// @throws nn::Error for another sample shape, a regression dataset, options out of range or too
/// few predictions.
NN_API ImageGrid image_grid(const data::Dataset& images, std::span<const int32_t> predicted,
                            const ImageGridOptions& options = {});

}  // namespace nn::report
