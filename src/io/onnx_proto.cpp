#ifdef NN_HAVE_ONNX
#include "onnx_proto.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "nn/error.hpp"
#include "nn/io/limits.hpp"

namespace nn::io::onnx_proto {

namespace {

std::string tensor_name(const onnx::TensorProto& t) { return "tensor '" + t.name() + "'"; }

void check_inline(const onnx::TensorProto& t) {
  NN_CHECK(t.data_location() != onnx::TensorProto::EXTERNAL && t.external_data_size() == 0, tensor_name(t),
           " keeps its data in an external file: nn reads only weights stored inside the model file");
  NN_CHECK(!t.has_segment(), tensor_name(t), " is segmented, which nn does not read");
}

// The messages of onnx.proto (IR 8) that hold other messages; kLeaf: one that holds none.
enum Msg : int {
  kLeaf, kModel, kGraph, kNode, kAttribute, kValueInfo, kTraining, kAnnotation, kTensor, kSparse, kShape, kType,
  kTypeTensor, kTypeSequence, kTypeMap, kTypeOptional, kTypeSparse, kFunction, kNotMessage
};

// The message type of field `f` of `m` (kNotMessage: a scalar, string or bytes).
Msg child(Msg m, uint32_t f) {
  switch (m) {
    case kModel: return f == 7 ? kGraph : f == 8 || f == 14 ? kLeaf : f == 20 ? kTraining : f == 25 ? kFunction : kNotMessage;
    case kGraph: return f == 1 ? kNode : f == 5 ? kTensor : f == 15 ? kSparse : f >= 11 && f <= 13 ? kValueInfo
                        : f == 14 ? kAnnotation : kNotMessage;
    case kNode: return f == 5 ? kAttribute : kNotMessage;
    case kAttribute: return f == 5 || f == 10 ? kTensor : f == 6 || f == 11 ? kGraph : f == 22 || f == 23 ? kSparse
                            : f == 14 || f == 15 ? kType : kNotMessage;
    case kValueInfo: return f == 2 ? kType : kNotMessage;
    case kTraining: return f == 1 || f == 2 ? kGraph : f == 3 || f == 4 ? kLeaf : kNotMessage;
    case kAnnotation: return f == 2 ? kLeaf : kNotMessage;
    case kTensor: return f == 3 || f == 13 ? kLeaf : kNotMessage;
    case kSparse: return f == 1 || f == 2 ? kTensor : kNotMessage;
    case kShape: return f == 1 ? kLeaf : kNotMessage;
    case kType: return f == 1 ? kTypeTensor : f == 4 ? kTypeSequence : f == 5 ? kTypeMap : f == 9 ? kTypeOptional
                       : f == 8 ? kTypeSparse : kNotMessage;
    case kTypeTensor: case kTypeSparse: return f == 2 ? kShape : kNotMessage;
    case kTypeSequence: case kTypeOptional: return f == 1 ? kType : kNotMessage;
    case kTypeMap: return f == 2 ? kType : kNotMessage;
    case kFunction: return f == 7 ? kNode : f == 9 ? kLeaf : kNotMessage;
    default: return kNotMessage;
  }
}

// Packed repeated varints (dims, int32/int64/uint64 data, an attribute's ints): up to 8 bytes in
// memory per byte on the wire, so each byte counts as an item.
bool packed_varints(Msg m, uint32_t f) {
  return (m == kTensor && (f == 1 || f == 5 || f == 7 || f == 11)) || (m == kAttribute && f == 8) ||
         (m == kSparse && f == 3);
}

constexpr const char* kMalformed = "not an ONNX model (the protobuf data is malformed)";

void scan(google::protobuf::io::CodedInputStream& in, Msg m, int depth, uint64_t& items) {
  using google::protobuf::internal::WireFormatLite;
  NN_CHECK(depth <= kMaxNesting, "not an ONNX model (messages nested more than ", kMaxNesting, " deep)");
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return;  // the end of this message (or a zero tag, which the caller finds unconsumed)
    NN_CHECK(++items <= kMaxItems, "more than ", kMaxItems, " protobuf items (nodes, fields, values)");
    const uint32_t field = tag >> 3;
    if ((tag & 7) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      NN_CHECK(WireFormatLite::SkipField(&in, tag), kMalformed);
      continue;
    }
    uint32_t length = 0;
    NN_CHECK(in.ReadVarint32(&length) && length <= static_cast<uint32_t>(INT32_MAX), kMalformed);
    const Msg c = child(m, field);
    if (c == kNotMessage) {
      if (packed_varints(m, field)) NN_CHECK((items += length) <= kMaxItems, "more than ", kMaxItems, " protobuf items");
      NN_CHECK(in.Skip(static_cast<int>(length)), kMalformed);
      continue;
    }
    const auto limit = in.PushLimit(static_cast<int>(length));
    scan(in, c, depth + 1, items);
    NN_CHECK(in.ConsumedEntireMessage(), kMalformed);
    in.PopLimit(limit);
  }
}

}  // namespace

void check_wire(std::string_view bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(kMaxNesting);  // groups, which SkipField walks
  uint64_t items = 0;
  scan(in, kModel, 0, items);
  NN_CHECK(in.ConsumedEntireMessage(), kMalformed);
}

Tensor float_tensor(const onnx::TensorProto& t) {
  check_inline(t);
  NN_CHECK(t.data_type() == onnx::TensorProto::FLOAT, tensor_name(t), ": expected element type float32 (1), found ",
           t.data_type());
  NN_CHECK(t.dims_size() <= Shape::kMaxRank, tensor_name(t), ": expected at most 4 dimensions, found ", t.dims_size());
  const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  uint64_t elements = 0, bytes = 0;
  NN_CHECK(checked_bytes(dims, 4, kMaxTensorBytes, elements, bytes), tensor_name(t),
           ": negative or too large dimensions");
  if (t.has_raw_data()) {
    NN_CHECK(t.raw_data().size() == bytes, tensor_name(t), ": expected ", bytes, " bytes of data, found ",
             t.raw_data().size());
  } else {
    NN_CHECK(static_cast<uint64_t>(t.float_data_size()) == elements, tensor_name(t), ": expected ", elements,
             " values, found ", t.float_data_size());
  }
  Tensor out{Shape(std::span<const int64_t>(dims))};
  if (t.has_raw_data()) {
    if (bytes > 0) std::memcpy(out.data(), t.raw_data().data(), bytes);
  } else {
    std::copy(t.float_data().begin(), t.float_data().end(), out.data());
  }
  return out;
}

std::vector<int64_t> int_values(const onnx::TensorProto& t) {
  check_inline(t);
  NN_CHECK(t.data_type() == onnx::TensorProto::INT64, tensor_name(t), ": expected element type int64 (7), found ",
           t.data_type());
  NN_CHECK(t.dims_size() == 0 || (t.dims_size() == 1 && t.dims(0) >= 0 && t.dims(0) <= kMaxShapeValues),
           tensor_name(t), ": expected a scalar or a vector of at most ", kMaxShapeValues, " values");
  const int64_t n = t.dims_size() == 0 ? 1 : t.dims(0);
  std::vector<int64_t> v(static_cast<size_t>(n));
  if (t.has_raw_data()) {
    NN_CHECK(t.raw_data().size() == v.size() * 8, tensor_name(t), ": expected ", v.size() * 8, " bytes of data, found ",
             t.raw_data().size());
    if (n > 0) std::memcpy(v.data(), t.raw_data().data(), v.size() * 8);
  } else {
    NN_CHECK(t.int64_data_size() == n, tensor_name(t), ": expected ", n, " values, found ", t.int64_data_size());
    std::copy(t.int64_data().begin(), t.int64_data().end(), v.begin());
  }
  return v;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& node, std::string_view name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

void check_attrs(const onnx::NodeProto& node, std::initializer_list<const char*> allowed) {
  for (const auto& a : node.attribute()) {
    if (std::any_of(allowed.begin(), allowed.end(), [&](const char* n) { return a.name() == n; })) continue;
    std::string names;
    for (const char* n : allowed) names += (names.empty() ? "" : ", ") + std::string(n);
    fail("attribute '", a.name(), "' is not supported (nn reads: ", names.empty() ? "none" : names, ")");
  }
}

int64_t attr_int(const onnx::NodeProto& node, const char* name, int64_t fallback) {
  const auto* a = find_attr(node, name);
  if (a == nullptr) return fallback;
  NN_CHECK(a->type() == onnx::AttributeProto::INT, "attribute '", name, "': expected an integer");
  return a->i();
}

float attr_float(const onnx::NodeProto& node, const char* name, float fallback) {
  const auto* a = find_attr(node, name);
  if (a == nullptr) return fallback;
  NN_CHECK(a->type() == onnx::AttributeProto::FLOAT, "attribute '", name, "': expected a float");
  return a->f();
}

std::vector<int64_t> attr_ints(const onnx::NodeProto& node, const char* name, std::vector<int64_t> fallback) {
  const auto* a = find_attr(node, name);
  if (a == nullptr) return fallback;
  NN_CHECK(a->type() == onnx::AttributeProto::INTS && a->ints_size() <= kMaxShapeValues, "attribute '", name,
           "': expected a list of at most ", kMaxShapeValues, " integers");
  return {a->ints().begin(), a->ints().end()};
}

std::string attr_string(const onnx::NodeProto& node, const char* name, const std::string& fallback) {
  const auto* a = find_attr(node, name);
  if (a == nullptr) return fallback;
  NN_CHECK(a->type() == onnx::AttributeProto::STRING, "attribute '", name, "': expected a string");
  return a->s();
}

std::optional<ScalerNodes> scaler_nodes(const data::Scaler& scaler, const Shape& sample) {
  using data::ScalerKind;
  if (scaler.kind() == ScalerKind::none) return std::nullopt;
  const auto& a = scaler.a();
  const auto& b = scaler.b();
  const int64_t n = scaler.kind() == ScalerKind::range ? 1 : static_cast<int64_t>(a.size());
  NN_CHECK(scaler.kind() == ScalerKind::range || n == sample.numel(), "the scaler has ", n,
           " features but one sample has ", sample.numel(), " values (", sample.str(), ")");
  ScalerNodes out;
  out.shift = n == 1 ? Tensor(Shape{1}) : Tensor(sample);
  out.factor = n == 1 ? Tensor(Shape{1}) : Tensor(sample);
  for (int64_t i = 0; i < n; ++i) {
    const auto j = static_cast<size_t>(i);
    out.shift.data()[i] = a[j];
    if (scaler.kind() == ScalerKind::standard) {
      out.factor.data()[i] = b[j];  // (x - mean) / scale
    } else if (scaler.kind() == ScalerKind::minmax) {
      // (x - min) * scale onto [0, 1], the scale computed as MinMaxScaler does
      const double range = static_cast<double>(b[j]) - a[j];
      out.factor.data()[i] = static_cast<float>(range > 0.0 ? 1.0 / range : 1.0);
    } else {
      out.factor.data()[i] = b[0] > a[0] ? 1.0f / (b[0] - a[0]) : 1.0f;  // (x - lo) * 1 / (hi - lo)
    }
  }
  out.op = scaler.kind() == ScalerKind::standard ? "Div" : "Mul";
  return out;
}

}  // namespace nn::io::onnx_proto

#endif  // NN_HAVE_ONNX
