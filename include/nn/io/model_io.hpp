// Saving and loading models and state dicts as safetensors files that PyTorch users can read:
// tensors under PyTorch's dotted names and shapes ("0.weight" (out, in), "0.bias"), and in
// "__metadata__" the architecture as a model spec (JSON), the input shape and a format version.
#pragma once

#include "nn/export.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/io/model_spec.hpp"
#include "nn/io/state_binding.hpp"
#include "nn/layers/module.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/tensor.hpp"

namespace nn::io {

inline constexpr const char* kModelFormat = "nn.model";
inline constexpr int kModelFormatVersion = 1;

/// Copies of the module's parameters.
NN_API StateDict state_dict(Module& module);

/// Copies matching tensors into the module (the binding of io/state_binding.hpp). Layers whose size
/// is still deferred take it from the dict first (Module::infer_from_saved). strict: any
/// missing, unexpected or mismatched key throws nn::Error listing all of them and changes nothing.
/// Not strict: loads what matches, reports the rest. A name twice in the dict is an nn::Error.
NN_API LoadReport load_state_dict(Module& module, const StateDict& dict, bool strict = true);

NN_API void save_state_dict(const StateDict& dict, const std::filesystem::path& path,
                            const std::map<std::string, std::string>& metadata = {});
NN_API StateDict read_state_dict(const std::filesystem::path& path);

/// The spec of a module whose children are registry layers (a Sequential, or any composite whose
/// children are, in order), or of a single registry layer: each layer's Module::spec_name() and
/// Module::settings(). nn::Error naming any other layer.
NN_API ModelSpec spec_of(const Module& model);

struct NN_API SaveOptions {
  /// The shape of one input sample ([784], [1, 28, 28]); empty: taken from the first layer when it
  /// is a Linear that knows its input size.
  std::vector<int64_t> input_shape;
  std::map<std::string, std::string> metadata;  ///< more entries for __metadata__ ("nn." keys are ours)
};

/// Writes the model atomically: a Sequential, or any module whose children are registry layers (a
/// composite model's child names are kept, so its file loads back with the same parameter names).
/// nn::Error when a weight is not finite: a diverged model is never written.
NN_API void save(const Module& model, const std::filesystem::path& path, const SaveOptions& options = {});

struct NN_API LoadedModel {
  std::unique_ptr<Sequential> model;
  ModelSpec spec;
  Shape input_shape;
  std::map<std::string, std::string> metadata;
  int format_version = 0;
};

/// Rebuilds the architecture from the file and loads the weights, ready to predict (eval mode).
NN_API LoadedModel load_model(const std::filesystem::path& path);

}  // namespace nn::io
