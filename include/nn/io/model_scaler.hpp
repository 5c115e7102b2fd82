/// @file
/// @brief A model file together with the data::Scaler that prepares its inputs.
///
/// The scaler is kept in the file's metadata under "nn.preprocess" as its JSON
/// ({"kind": ..., "a": [...], "b": [...]}), the format model files and checkpoints have always
/// used. A file without the entry has no scaling (none).
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "nn/data/scaler.hpp"
#include "nn/io/model_io.hpp"
#include "nn/layers/sequential.hpp"

namespace nn::io {

inline constexpr const char* kScalerMetadataKey = "nn.preprocess";  ///< the metadata key of the scaler's JSON

/// Puts the scaler into metadata (model files and checkpoint metadata alike).
NN_API void put_scaler(std::map<std::string, std::string>& metadata, const data::Scaler& scaler);
/// The scaler metadata holds; none without the entry. nn::Error starting with `what` (the file) and
/// naming the field for an entry that is not valid JSON or not a valid scaler.
NN_API data::Scaler scaler_from_metadata(const std::map<std::string, std::string>& metadata, std::string_view what);

/// save() with the scaler added to options.metadata.
NN_API void save_with_scaler(const Module& model, const data::Scaler& scaler, const std::filesystem::path& path,
                             SaveOptions options = {});

/// A loaded model and the scaler its inputs need.
struct NN_API ScaledModel {
  LoadedModel model;    ///< the model, as load_model returns it
  data::Scaler scaler;  ///< the input scaling saved with it (kind none when the file has none)
};
/// load_model() and the scaler saved with it. @throws nn::Error as load_model and
/// scaler_from_metadata do.
NN_API ScaledModel load_with_scaler(const std::filesystem::path& path);

}  // namespace nn::io
