/// @file
/// @brief The layer registry: one row per layer type a model spec can name ("linear", "conv",
/// "gelu", ...).
///
/// Each row holds everything the rest of nn needs to know about a layer type: its PyTorch class,
/// its compact arguments, the settings it accepts and how to build it from them. The other
/// direction, from a live module to its spec, is the module's own Module::spec_name() and
/// Module::settings().
// Adding a layer: its header and source under layers/, its row in layer_registry.cpp, and its row
// in tests/layer_cases_test.cpp.
#pragma once

#include "nn/export.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/layers/init.hpp"
#include "nn/layers/module.hpp"

namespace nn::io {

/// How build_model builds the layers of a spec.
struct NN_API BuildOptions {
  Init default_init = Init::he;  ///< for layers that do not name their own
  /// Whether the model's input is [N, C, H, W] (a first batchnorm is then BatchNorm2d); a model
  /// whose first layer expects images (expects_images) is taken to have image input anyway.
  bool image_input = false;
};

/// What the layers built so far produce, for a layer whose kind or size follows from its input
/// (batchnorm: 1d or 2d, and its number of features).
struct NN_API BuildContext {
  int64_t width = 0;     ///< features (after linear) or channels (after conv); 0: unknown
  bool spatial = false;  ///< whether activations are [N, C, H, W]
  bool dry_run = false;  ///< only checking the settings: draw nothing from the global generator
};

/// Builds one layer from its settings (a JSON object), the build options and what the layers
/// before it produce (which it updates); throws nn::Error for a bad value.
using LayerBuilder =
    std::function<std::shared_ptr<Module>(const nlohmann::json& settings, const BuildOptions&, BuildContext&)>;

/// One layer type of the registry.
struct NN_API LayerRow {
  std::string name;                      ///< the spec name: "linear"
  std::vector<std::string> torch_names;  ///< PyTorch's classes: {"Linear"}; {"BatchNorm1d", "BatchNorm2d"}
  std::vector<std::string> positional;   ///< the compact arguments, in order: "linear:128:xavier"
  std::vector<std::string> settings;     ///< every setting key it accepts (the positional ones included)
  std::vector<std::string> required;     ///< those that must be present
  bool image_input = false;              ///< whether, as a first layer, it expects [N, C, H, W]
  LayerBuilder build;                    ///< validates the settings' values and builds the module
};

/// All rows, sorted by name.
NN_API const std::vector<LayerRow>& layer_registry();
/// The row of a spec name, or nullptr.
NN_API const LayerRow* find_layer(std::string_view name);
/// The row of a spec name; nn::Error "model spec: unknown layer 'x' (known: ...)" otherwise.
NN_API const LayerRow& layer_row(std::string_view name);
/// nn::Error naming the first key of `settings` that the row does not accept, with the accepted
/// ones, or a missing required key.
NN_API void check_setting_keys(const LayerRow& row, const nlohmann::json& settings);

}  // namespace nn::io
