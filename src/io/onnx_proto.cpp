#ifdef NN_HAVE_ONNX
#include "onnx_proto.hpp"

#include <algorithm>
#include <cstring>

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

}  // namespace

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
