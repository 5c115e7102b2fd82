// Internal to io/onnx: the protobuf side of ONNX files. Tensors and attributes are read under
// bounds (every size checked before anything is allocated, external data refused); the input
// scaling a model was trained with is written as two nodes and recognised again. Errors are
// nn::Error naming the tensor or attribute; the importer adds the node.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/data/scaler.hpp"
#include "nn/tensor.hpp"
#include "nn_onnx.pb.h"

namespace nn::io::onnx_proto {

// The elements of an int64 tensor that describes a shape or axes (a scalar or at most 8 values).
inline constexpr int64_t kMaxShapeValues = 8;

// The most protobuf items (fields, repeated elements, bytes of packed varints) a file may hold, and
// the deepest nesting of messages. Protobuf's objects are far larger than their wire form (an empty
// NodeProto is 2 bytes on the wire and over 100 in memory), so the wire is counted before parsing.
inline constexpr uint64_t kMaxItems = uint64_t{1} << 20;
inline constexpr int kMaxNesting = 32;

// Walks the wire format of a ModelProto with the schema's message fields, counting items; nn::Error
// "more than ... items", "nested more than 32 deep" or "malformed" before anything is allocated.
void check_wire(std::string_view bytes);

// A float32 tensor of at most 4 dimensions, its data inside the file (raw_data or float_data).
Tensor float_tensor(const onnx::TensorProto& t);
// An int64 scalar or vector of at most kMaxShapeValues values.
std::vector<int64_t> int_values(const onnx::TensorProto& t);

const onnx::AttributeProto* find_attr(const onnx::NodeProto& node, std::string_view name);
// nn::Error naming the first attribute of `node` not in `allowed`, with the allowed ones.
void check_attrs(const onnx::NodeProto& node, std::initializer_list<const char*> allowed);
int64_t attr_int(const onnx::NodeProto& node, const char* name, int64_t fallback);
float attr_float(const onnx::NodeProto& node, const char* name, float fallback);
std::vector<int64_t> attr_ints(const onnx::NodeProto& node, const char* name, std::vector<int64_t> fallback);
std::string attr_string(const onnx::NodeProto& node, const char* name, const std::string& fallback);

// A scaler as the graph's first two nodes: x -> op(x - shift, factor), op "Div" (standard: the
// scale) or "Mul" (minmax, range: the reciprocal of the range as nn computes it), each constant
// shaped as one sample (or a single value), computing what Scaler::transform does. Empty for none.
struct ScalerNodes {
  std::string op;
  Tensor shift, factor;
};
std::optional<ScalerNodes> scaler_nodes(const data::Scaler& scaler, const Shape& sample);

// The names of a scaler's nodes and constants in an exported graph.
inline constexpr const char* kScalerShift = "preprocess.shift";
inline constexpr const char* kScalerFactor = "preprocess.factor";

}  // namespace nn::io::onnx_proto
