// ONNX models in and out. Export writes a model whose children are registry layers as an ONNX graph
// (opset 17; a model with GELU takes opset 20, where ONNX gained the Gelu operator) with a dynamic
// batch dimension; import reads the graphs PyTorch's exporter makes from the same layers and builds
// a Sequential of registry layers. Protobuf stays inside the library: this header names none of it.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nn/data/scaler.hpp"
#include "nn/io/model_io.hpp"
#include "nn/layers/module.hpp"

namespace nn::io {

/// The ONNX opset export_onnx writes (20 instead when the model has a GELU).
inline constexpr int64_t kOnnxOpset = 17;

/// The largest ONNX file load_onnx reads: 1 GiB (protobuf's own limit is 2 GiB).
inline constexpr uint64_t kMaxOnnxBytes = uint64_t{1} << 30;

/// The most nodes an imported graph may have.
inline constexpr int kMaxOnnxNodes = 4096;

/// Options of export_onnx.
struct NN_API OnnxExportOptions {
  /// More entries for the model's metadata_props (nn writes "nn.model_spec", "nn.input_shape" and
  /// "nn.version" itself).
  std::map<std::string, std::string> metadata;
  /// The input scaling the model was trained with (none: inputs go in as they are). It becomes the
  /// graph's first two nodes (Sub, then Div or Mul: what Scaler::transform computes), so that an
  /// ONNX runtime takes the raw inputs `nn predict` takes; "nn.preprocess" in the metadata records
  /// it, and load_onnx reads the two nodes back as that scaler.
  data::Scaler scaler;
};

/// Whether this build of nn has ONNX support (it needs protobuf at build time).
NN_API bool onnx_available();

/// The ONNX operators export_onnx writes for layers, sorted (a scaler adds Sub and Div or Mul).
NN_API std::vector<std::string> onnx_export_operators();

/// The ONNX operators load_onnx reads, as its error messages list them.
NN_API std::vector<std::string> onnx_import_operators();

/// Serialises `model` (a Sequential, or a composite whose children are registry layers) for samples
/// of shape `input_shape` (no batch dimension: {784}, {1, 28, 28}) as an ONNX ModelProto: input
/// "input" [batch, ...input_shape], output "output". Linear -> Gemm (transB=1), Conv2D -> Conv,
/// pools -> MaxPool / AveragePool, Flatten, BatchNorm -> BatchNormalization (evaluation form:
/// running statistics), Dropout -> Identity, activations, Softmax, LayerNorm ->
/// LayerNormalization. The weights are stored bit for bit. nn::Error naming the layer for one that
/// has no ONNX form or is not built yet (its weights are still unsized).
NN_API std::string onnx_model_bytes(const Module& model, const std::vector<int64_t>& input_shape,
                                    const OnnxExportOptions& options = {});

/// onnx_model_bytes() written atomically to `path` (nothing is left on failure).
NN_API void export_onnx(const Module& model, const std::vector<int64_t>& input_shape, const std::filesystem::path& path,
                        const OnnxExportOptions& options = {});

/// Builds a model from an ONNX file: a chain of supported operators from one input [batch, ...] to
/// one output, weights from initializers or Constant nodes (float32; int64 for shapes). The
/// file is read up to kMaxOnnxBytes, its protobuf items are counted (at most 2^20) and their
/// nesting bounded (32) before it is parsed, every tensor's size is checked before anything is
/// allocated, external data is refused, and the model is built completely or not at all. nn::Error naming the file, and the node and its operator (with the supported
/// list) for what nn cannot run. PyTorch's decomposed GELU (Div, Erf, Add, Mul or the tanh form)
/// is recognised by evaluating the run of element-wise nodes. The result is in evaluation mode;
/// `metadata` holds the file's metadata_props, `spec` the layers built. A scaler that export_onnx
/// wrote as the graph's first nodes is not part of `model`: it is "nn.preprocess" in `metadata`,
/// as in nn's model files (io::scaler_from_metadata reads it).
NN_API LoadedModel load_onnx(const std::filesystem::path& path);

/// load_onnx() of bytes already in memory; `what` names them in messages.
NN_API LoadedModel load_onnx_bytes(std::string_view bytes, std::string_view what = "ONNX model");

}  // namespace nn::io
