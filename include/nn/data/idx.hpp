/// @file
/// @brief IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.
///
/// An IDX file is a big-endian header (magic 0x00000803 for images: uint8, 3 dimensions;
/// 0x00000801 for labels: uint8, 1 dimension) followed by the raw bytes. Every file, whatever its
/// name ends in, is read through zlib, which passes plain files through unchanged, so `x.gz` and `x`
/// load alike.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"

namespace nn::data {

/// The content of an IDX image file: `count` greyscale images of rows x cols pixels.
struct NN_API IdxImages {
  int64_t count = 0;  ///< the number of images
  int64_t rows = 0;   ///< the height of each image, in pixels
  int64_t cols = 0;   ///< the width of each image, in pixels
  std::vector<uint8_t> pixels;  ///< count * rows * cols bytes, image after image, row-major
};

/// Reads an image file (magic 0x00000803). Throws nn::Error naming the file when it is missing, is
/// not valid gzip, has another magic number or dimension count, or holds more or fewer bytes than
/// its header announces.
NN_API IdxImages read_idx_images(const std::filesystem::path& path);
/// Reads a label file (magic 0x00000801): one class index (0..255) per sample. Throws nn::Error as
/// read_idx_images does.
NN_API std::vector<int32_t> read_idx_labels(const std::filesystem::path& path);

/// Images and labels as a uint8 classification dataset (features scaled by 1/255 when gathered).
/// Samples are flat: shape [rows * cols] ([784] for MNIST), ready for an MLP; a CNN views them as
/// [1, rows, cols] with Dataset::reshape_samples. num_classes is 1 + the largest label. Throws when
/// the two files hold different numbers of samples.
NN_API Dataset load_idx_dataset(const std::filesystem::path& images_path, const std::filesystem::path& labels_path);

/// Loads one split of the MNIST-layout directory `dir`: split "train" reads train-images-idx3-ubyte and
/// train-labels-idx1-ubyte, split "test" (or "t10k") the t10k-* files; each may end in .gz (and
/// ".idx3-ubyte" with a dot is accepted too). The dataset is named "<dir name> <split>".
/// @throws nn::Error when `dir` is not a directory, a file is missing, or a file is invalid.
NN_API Dataset load_mnist_dir(const std::filesystem::path& dir, const std::string& split);

/// Fashion-MNIST's class names, by label: "T-shirt/top", "Trouser", ..., "Ankle boot".
NN_API const std::vector<std::string>& fashion_mnist_class_names();

}  // namespace nn::data
