/// @file
/// @brief Saving and loading models and state dicts as safetensors files that PyTorch users can read.
///
/// Tensors are stored under PyTorch's dotted names and shapes ("0.weight" (out, in), "0.bias"), and
/// `"__metadata__"` holds the architecture as a model spec (JSON), the input shape and a format
/// version. Writes are atomic (AtomicFile).
/// @code
/// nn::io::save(model, "model.safetensors", {.input_shape = {784}});
/// nn::io::LoadedModel m = nn::io::load_model("model.safetensors");
/// const nn::Tensor& y = m.model->forward(x);  // x: [N, 784]
/// @endcode
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

inline constexpr const char* kModelFormat = "nn.model";  ///< the format name in a model file's `__metadata__`
inline constexpr int kModelFormatVersion = 1;  ///< the model format version this library writes

/// Copies of the module's parameters and buffers (BatchNorm's running statistics), by dotted name
/// (named_tensors).
NN_API StateDict state_dict(Module& module);

/// Copies matching tensors into the module (the binding of io/state_binding.hpp). Layers whose size
/// is still deferred take it from the dict first (Module::infer_from_saved). strict: any
/// missing, unexpected or mismatched key throws nn::Error listing all of them and changes nothing.
/// Not strict: loads what matches, reports the rest. A name twice in the dict is an nn::Error.
NN_API LoadReport load_state_dict(Module& module, const StateDict& dict, bool strict = true);

/// Writes the dict's tensors (float32, unique non-empty names) and `metadata` as a safetensors file,
/// atomically. @throws nn::Error for a bad name or a failed write.
NN_API void save_state_dict(const StateDict& dict, const std::filesystem::path& path,
                            const std::map<std::string, std::string>& metadata = {});
/// The tensors of a safetensors file, in file order (read_safetensors; the metadata is dropped).
/// @throws nn::Error naming the file when it is missing or invalid.
NN_API StateDict read_state_dict(const std::filesystem::path& path);

/// The spec of a module whose children are registry layers (a Sequential, or any composite whose
/// children are, in order), or of a single registry layer: each layer's Module::spec_name() and
/// Module::settings(). nn::Error naming any other layer.
NN_API ModelSpec spec_of(const Module& model);

/// What save() writes beside the weights.
struct NN_API SaveOptions {
  /// The shape of one input sample ([784], [1, 28, 28]); empty: taken from the first layer when it
  /// is a Linear that knows its input size.
  std::vector<int64_t> input_shape;
  std::map<std::string, std::string> metadata;  ///< more entries for `__metadata__` ("nn." keys are ours)
};

/// Writes the model atomically: a Sequential, or any module whose children are registry layers (a
/// composite model's child names are kept, so its file loads back with the same parameter names).
/// nn::Error when a weight is not finite: a diverged model is never written.
NN_API void save(const Module& model, const std::filesystem::path& path, const SaveOptions& options = {});

/// A model read back from a file, with what the file says about it.
struct NN_API LoadedModel {
  std::unique_ptr<Sequential> model;  ///< the rebuilt model with its weights, in eval mode; owned here
  ModelSpec spec;                     ///< the architecture the file describes
  Shape input_shape;                  ///< the shape of one input sample ([784], [1, 28, 28])
  std::map<std::string, std::string> metadata;  ///< the file's `__metadata__`, every entry
  int format_version = 0;             ///< the file's model format version (0: not an nn model file)
};

/// Rebuilds the architecture from the file and loads the weights, ready to predict (eval mode).
/// @throws nn::Error naming the file when it is missing, invalid, not an nn model file, of an
/// unknown format version, or when its tensors do not match its architecture.
NN_API LoadedModel load_model(const std::filesystem::path& path);

}  // namespace nn::io
