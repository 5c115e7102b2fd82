/// @file
/// @brief Model specs: the architecture of a Sequential model as data, so that the CLI can build a
/// model from a command line and a saved file can rebuild it.
///
/// Two spellings of the same thing:
/// @code{.unparsed}
///   compact: "linear:128,relu,linear:32,relu,linear:10"
///   JSON:    [{"type": "linear", "out": 128}, {"type": "relu"}, ...]
/// @endcode
#pragma once

#include "nn/export.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/io/layer_registry.hpp"
#include "nn/json_value.hpp"
#include "nn/layers/sequential.hpp"

namespace nn::io {

/// One layer: its type and its settings (only those that differ from the defaults need be present).
struct NN_API LayerSpec {
  std::string type;  ///< the layer registry name: "linear", "relu", "conv", ...
  JsonValue params;  ///< a JSON object: {"out": 128}
  /// The child's name in the model ("fc1"); empty: its index, as Sequential names children. JSON
  /// key "name" (beside "type"); the compact form has no names.
  std::string name;
};

/// A model's architecture: its layers, in order.
struct NN_API ModelSpec {
  std::vector<LayerSpec> layers;  ///< the layers, first to last
  bool empty() const { return layers.empty(); }  ///< true when there are no layers
};

/// Parses the compact form or JSON (text starting with '[' or '{'). nn::Error on an unknown layer
/// (listing the known ones), an unknown setting (listing the layer's settings) or a bad value,
/// naming the item. The layers and their settings are the layer registry's rows.
NN_API ModelSpec parse_model_spec(std::string_view text);
/// Reads a spec from a file: JSON, or the compact form on one line. nn::Error (prefixed with the
/// path) when the file cannot be read or parse_model_spec refuses its text.
NN_API ModelSpec read_model_spec_file(const std::string& path);

/// The JSON form: an array of {"type": ..., settings..., "name": ... (when set)}.
NN_API nlohmann::json to_json(const ModelSpec& spec);
/// A spec from JSON: an array of layers, {"layers": [...]}, or one layer {"type": ...}; checked as
/// parse_model_spec checks it (nn::Error).
NN_API ModelSpec model_spec_from_json(const nlohmann::json& j);
/// The compact form ("linear:128,relu,linear:10").
NN_API std::string to_compact(const ModelSpec& spec);

/// Builds the model; input sizes are inferred on the first forward (or by Sequential::build).
/// @throws nn::Error for an invalid spec.
NN_API std::unique_ptr<Sequential> build_model(const ModelSpec& spec, const BuildOptions& options = {});

/// The layer types build_model knows, for help texts and error messages.
NN_API std::vector<std::string> known_layer_types();

/// Whether the first layer expects images laid out as [N, C, H, W] (a convolution or pooling layer).
NN_API bool expects_images(const ModelSpec& spec);

}  // namespace nn::io
