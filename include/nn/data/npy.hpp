/// @file
/// @brief NumPy .npy files: nn::data::read_npy, nn::data::write_npy and datasets from an X and a y file.
///
/// Reading accepts versions 1.0, 2.0 and 3.0, C order, and little-endian '<f4', '<f8', '<i4', '<i8'
/// and '|u1', converted to float32; writing produces float32, version 1.0. Files are checked
/// against their header: bad magic, an unreadable header, Fortran order, an unsupported dtype, or a
/// data size that does not match the shape throw nn::Error naming the file and what was found.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/tensor.hpp"

namespace nn::data {

/// The content of a .npy file, converted to float32.
struct NN_API NpyArray {
  std::vector<int64_t> shape;  ///< empty for a 0-d array (one element)
  std::vector<float> data;     ///< every element converted to float32, C order
  std::string dtype;           ///< as the file spells it: "<f4", "|u1", ...
  int64_t numel() const;       ///< the number of elements (the product of shape; 1 for a 0-d array)
  bool is_integer() const;     ///< an integer dtype (u1, i4, i8)
  /// The data as a Tensor of the same shape (rank 1..4; a 0-d array becomes [1]).
  Tensor to_tensor() const;
};

/// Reads a .npy file. @throws nn::Error (naming the file) for any of the problems listed above.
NN_API NpyArray read_npy(const std::filesystem::path& path);

/// Writes a float32 ('<f4', C order, version 1.0) array. The file is written under a temporary
/// name and renamed at the end, so a failure leaves no partial file behind. `data` holds the
/// product of `shape` values, C order. @throws nn::Error for a negative dimension, a too large
/// shape, or a failed write.
NN_API void write_npy(const std::filesystem::path& path, std::span<const int64_t> shape, const float* data);
/// Writes a tensor's shape and values as write_npy(path, shape, data) does.
NN_API void write_npy(const std::filesystem::path& path, const Tensor& tensor);

/// X [N, ...] (rank 2..4 for a Dataset) and y [N]: an integer y gives a classification dataset
/// (labels must be non-negative; num_classes = 1 + the largest), a float y a regression dataset
/// (y [N] becomes targets [N, 1]; y [N, T] stays). Named after X's file stem.
/// @throws nn::Error when a file is invalid, X and y differ in N, or integer labels are negative
/// or not of shape [N].
NN_API Dataset load_npy_dataset(const std::filesystem::path& x_path, const std::filesystem::path& y_path);

}  // namespace nn::data
