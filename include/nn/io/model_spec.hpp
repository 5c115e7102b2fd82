// Model specs: the architecture of a Sequential model as data, so that the CLI can build a model from
// a command line and a saved file can rebuild it. Two spellings of the same thing:
//   compact: "linear:128,relu,linear:32,relu,linear:10"
//   JSON:    [{"type": "linear", "out": 128}, {"type": "relu"}, ...]
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
  std::string type;
  JsonValue params;  ///< a JSON object: {"out": 128}
  /// The child's name in the model ("fc1"); empty: its index, as Sequential names children. JSON
  /// key "name" (beside "type"); the compact form has no names.
  std::string name;
};

struct NN_API ModelSpec {
  std::vector<LayerSpec> layers;
  bool empty() const { return layers.empty(); }
};

/// Parses the compact form or JSON (text starting with '[' or '{'). nn::Error on an unknown layer
/// (listing the known ones), an unknown setting (listing the layer's settings) or a bad value,
/// naming the item. The layers and their settings are the layer registry's rows.
NN_API ModelSpec parse_model_spec(std::string_view text);
/// Reads a spec from a file: JSON, or the compact form on one line.
NN_API ModelSpec read_model_spec_file(const std::string& path);

NN_API nlohmann::json to_json(const ModelSpec& spec);
NN_API ModelSpec model_spec_from_json(const nlohmann::json& j);
/// The compact form ("linear:128,relu,linear:10").
NN_API std::string to_compact(const ModelSpec& spec);

/// Builds the model; input sizes are inferred on the first forward (or by Sequential::build).
NN_API std::unique_ptr<Sequential> build_model(const ModelSpec& spec, const BuildOptions& options = {});

/// The layer types build_model knows, for help texts and error messages.
NN_API std::vector<std::string> known_layer_types();

/// Whether the first layer expects images laid out as [N, C, H, W] (a convolution or pooling layer).
NN_API bool expects_images(const ModelSpec& spec);

}  // namespace nn::io
