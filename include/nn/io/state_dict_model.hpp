/// @file
/// @brief Models from plain state dicts: a safetensors file of weights without nn's metadata plus
/// the architecture as a model spec and the shape of one input sample.
///
/// Such a file is what PyTorch's safetensors.torch.save_file(model.state_dict(), path) writes. The
/// tensors must carry the names and shapes the spec's Sequential has ("0.weight" (out, in),
/// "1.running_mean", ...), which is what a torch.nn.Sequential of the same layers produces. Integer
/// tensors (PyTorch's I64 num_batches_tracked) are read as float32.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "nn/io/model_io.hpp"
#include "nn/io/model_spec.hpp"

namespace nn::io {

/// A model built from a spec and loaded from a state dict, and what the load found.
struct NN_API StateDictModel {
  LoadedModel loaded;  ///< model (eval mode), spec, input shape, the file's metadata; format_version 0
  LoadReport report;   ///< all matched when strict; otherwise the keys that were not loaded
};

/// Builds the spec's model for samples of input_shape (empty: the input size of the first Linear,
/// read from its weight in the dict, when only shape-keeping layers precede it), then loads the
/// dict into it. strict: a missing, unexpected or mismatched key throws nn::Error listing all of
/// them (prefixed with `where`). Not strict: loads what matches and reports the rest.
NN_API StateDictModel model_from_state_dict(const StateDict& dict, const ModelSpec& spec,
                                            const std::vector<int64_t>& input_shape, bool strict = true,
                                            const std::string& where = "state dict");

/// The same from a safetensors file; errors name the file.
NN_API StateDictModel load_model_with_spec(const std::filesystem::path& path, const ModelSpec& spec,
                                           const std::vector<int64_t>& input_shape = {}, bool strict = true);

/// The shape of one sample as written on a command line: "784", "1,28,28", "1x28x28" or
/// "[1, 28, 28]"; empty text gives an empty shape. 1 to 3 positive sizes, else nn::Error.
NN_API std::vector<int64_t> parse_input_shape(std::string_view text);

/// A model spec as the CLI takes it: a path ending in .json (read_model_spec_file), else the
/// compact form or JSON text (parse_model_spec).
NN_API ModelSpec resolve_model_spec(const std::string& text);

}  // namespace nn::io
