// ONNX import (declared in nn/io/onnx.hpp): reads a ModelProto under bounds, then walks its nodes
// as a chain of layers. `cur_` names the activation the next layer must read; small int64 tensors
// computed from Shape(cur) (PyTorch's x.view(x.size(0), -1)) are evaluated with the batch kept
// symbolic; a run of scalar element-wise nodes is evaluated at probe points and recognised as GELU.
// Every layer becomes a registry LayerSpec plus its tensors, and the model is built and loaded
// only once the whole graph has been understood.
#include "nn/io/onnx.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/limits.hpp"
#include "nn/io/model_scaler.hpp"

#ifdef NN_HAVE_ONNX
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "onnx_importer.hpp"
#endif

namespace nn::io {

std::vector<std::string> onnx_import_operators() {
  return {"AveragePool", "BatchNormalization", "Concat", "Constant", "Conv", "Dropout", "Flatten", "Gather",
          "Gelu", "Gemm", "Identity", "LayerNormalization", "LeakyRelu", "MatMul (+ Add)", "MaxPool", "Pad (before AveragePool or Conv)", "Relu",
          "Reshape", "Shape", "Sigmoid", "Softmax", "Tanh", "Unsqueeze",
          "Div/Erf/Add/Mul/Pow/Tanh forming GELU"};
}

LoadedModel load_onnx(const std::filesystem::path& path) {
  const std::string bytes = read_file(path, kMaxOnnxBytes, "ONNX file '" + path.string() + "'");
  return load_onnx_bytes(bytes, path.string());
}

#ifndef NN_HAVE_ONNX

LoadedModel load_onnx_bytes(std::string_view, std::string_view what) {
  fail(what, ": this nn was built without ONNX support (it needs protobuf: libprotobuf-dev, protobuf-compiler)");
}

#else

namespace {

using json = nlohmann::json;
using namespace onnx_proto;
constexpr int kMaxEntries = 4096;       // initializers, metadata entries
constexpr size_t kMaxName = 1024;       // bytes of a name (node, value, operator), so messages stay short

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

Tensor transposed(const Tensor& m) {  // [r, c] -> [c, r]
  const int64_t r = m.dim(0), c = m.dim(1);
  Tensor t(Shape{c, r});
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) t.data()[j * r + i] = m.data()[i * c + j];
  return t;
}

}  // namespace

namespace onnx_proto {


const onnx::TensorProto& Importer::constant(int input) const {
  NN_CHECK(input < node_->input_size() && !node_->input(input).empty(), "missing input ", input);
  auto it = consts_.find(node_->input(input));
  NN_CHECK(it != consts_.end(), "input '", node_->input(input),
           "' must be an initializer or a Constant (nn imports chains of layers)");
  return *it->second;
}

Tensor Importer::weight(int input, const char* what) const {
  try {
    return float_tensor(constant(input));
  } catch (const Error& e) {
    fail(what, ": ", e.what());
  }
}

std::vector<int64_t> Importer::ints(const std::string& name) const {
  if (auto it = ints_.find(name); it != ints_.end()) return it->second;
  auto it = consts_.find(name);
  NN_CHECK(it != consts_.end(), "input '", name, "' must be a constant or computed from Shape");
  return int_values(*it->second);
}

void Importer::check_input_is_cur() const {
  NN_CHECK(node_->input_size() > 0 && node_->input(0) == cur_, "its input '",
           node_->input_size() ? node_->input(0) : std::string(), "' is not the output of the layer before ('", cur_,
           "'): nn imports chains of layers");
}

void Importer::add_layer(const std::string& type, json params, Tensors tensors) {
  for (const auto& [name, t] : tensors) used_ += static_cast<uint64_t>(t.numel()) * 4;
  NN_CHECK(used_ <= budget_, "the layers' weights take more than twice the file's size (", used_,
           " bytes): a weight used by many layers is not supported");
  const std::string index = std::to_string(spec_.layers.size());
  LayerSpec layer;
  layer.type = type;
  layer.params = params.is_null() ? json::object() : std::move(params);
  spec_.layers.push_back(std::move(layer));
  for (auto& [name, t] : tensors) dict_.emplace_back(index + "." + name, std::move(t));
  NN_CHECK(node_->output_size() >= 1 && !node_->output(0).empty(), "the node has no output");
  cur_ = node_->output(0);
}







void Importer::node() {
  const std::string& op = node_->op_type();
  NN_CHECK(node_->domain().empty() || node_->domain() == "ai.onnx", "operator domain '", node_->domain(),
           "' is not supported (nn reads the standard ONNX operators)");
  if (shape_node() || scaler_prefix() || elementwise_run()) return;
  if (op == "Pad") return pad();
  static const std::vector<std::string> plain = {"AveragePool", "BatchNormalization", "Conv", "Dropout", "Flatten",
                                                 "Gelu", "Gemm", "Identity", "LayerNormalization", "LeakyRelu",
                                                 "MatMul", "MaxPool", "Relu", "Reshape", "Sigmoid", "Softmax", "Tanh"};
  NN_CHECK(std::find(plain.begin(), plain.end(), op) != plain.end(), "operator '", op,
           "' is not supported (nn reads: ", join(onnx_import_operators()), ")");
  check_input_is_cur();
  for (int i = 1; i < node_->output_size(); ++i)  // optional outputs (Dropout's mask, statistics) unused
    NN_CHECK(node_->output(i).empty() || op == "Dropout" || op == "LayerNormalization", "extra output '",
             node_->output(i), "' is not supported");
  if (op == "Gemm") {
    check_attrs(*node_, {"alpha", "beta", "transA", "transB"});
    NN_CHECK(attr_float(*node_, "alpha", 1.0f) == 1.0f && attr_float(*node_, "beta", 1.0f) == 1.0f &&
                 attr_int(*node_, "transA", 0) == 0,
             "only alpha=1, beta=1, transA=0 are supported");
    Tensor w = weight(1, "the weight");
    NN_CHECK(w.shape().rank() == 2, "the weight must be a matrix, found ", w.shape().str());
    std::optional<Tensor> b;
    if (node_->input_size() > 2 && !node_->input(2).empty()) b = weight(2, "the bias");
    linear(attr_int(*node_, "transB", 0) ? std::move(w) : transposed(w), std::move(b));
  } else if (op == "MatMul") {
    check_attrs(*node_, {});
    Tensor w = weight(1, "the weight");
    NN_CHECK(w.shape().rank() == 2, "the weight must be a matrix, found ", w.shape().str());
    // PyTorch's MatMul + Add: an Add right after, adding a constant to this product, is its bias.
    if (at_ + 1 < g_.node_size() && g_.node(at_ + 1).op_type() == "Add" && g_.node(at_ + 1).input_size() == 2) {
      const onnx::NodeProto& add = g_.node(at_ + 1);
      const int other = add.input(0) == node_->output(0) ? 1 : add.input(1) == node_->output(0) ? 0 : -1;
      if (other >= 0 && consts_.count(add.input(other)) && add.output_size() == 1) {
        linear(transposed(w), float_tensor(*consts_.at(add.input(other))));
        cur_ = add.output(0);
        ++at_;  // the Add is consumed
        return;
      }
    }
    linear(transposed(w), std::nullopt);
  } else if (op == "Conv") {
    check_attrs(*node_, {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"});
    window("conv");
  } else if (op == "MaxPool") {
    check_attrs(*node_, {"kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order"});
    NN_CHECK(node_->output_size() == 1 || node_->output(1).empty(), "the Indices output is not supported");
    window("maxpool");
  } else if (op == "AveragePool") {
    check_attrs(*node_, {"kernel_shape", "strides", "pads", "ceil_mode", "auto_pad", "count_include_pad"});
    window("avgpool");
  } else if (op == "BatchNormalization" || op == "LayerNormalization") {
    check_attrs(*node_, {"epsilon", "momentum", "training_mode", "spatial", "axis", "stash_type"});
    NN_CHECK(op == "LayerNormalization" || (!find_attr(*node_, "axis") && !find_attr(*node_, "stash_type")),
             "unexpected attribute axis or stash_type");
    normalization(op);
  } else if (op == "Flatten" || op == "Reshape") {
    check_attrs(*node_, {"axis", "allowzero"});
    const int64_t n = shape_.numel();
    if (op == "Flatten") {
      NN_CHECK(attr_int(*node_, "axis", 1) == 1, "only axis 1 is supported");
    } else {
      NN_CHECK(attr_int(*node_, "allowzero", 0) == 0 && node_->input_size() == 2, "expects allowzero=0 and a shape");
      const std::vector<int64_t> t = ints(node_->input(1));
      // [batch, n], [batch, -1], [-1, n], 0 meaning "as the input": a flatten.
      const bool ok = t.size() == 2 && (t[0] == kBatch || t[0] == 0 || (t[0] == -1 && t[1] == n)) &&
                      (t[1] == n || (t[1] == -1 && t[0] != -1) || (t[1] == 0 && shape_.rank() == 1));
      NN_CHECK(ok, "only a reshape to [batch, ", n, "] (a flatten) is supported");
    }
    shape_ = Shape{n};
    add_layer("flatten", {});
  } else if (op == "Softmax") {
    check_attrs(*node_, {"axis"});
    const int64_t axis = attr_int(*node_, "axis", -1);
    NN_CHECK(axis == 1 || (axis == -1 && shape_.rank() == 1), "only a softmax over axis 1 is supported");
    add_layer("softmax", {});
  } else if (op == "Gelu") {
    check_attrs(*node_, {"approximate"});
    const std::string a = attr_string(*node_, "approximate", "none");
    NN_CHECK(a == "none" || a == "tanh", "approximate must be none or tanh, found '", a, "'");
    add_layer("gelu", {{"approximate", a}});
  } else if (op == "LeakyRelu") {
    check_attrs(*node_, {"alpha"});
    add_layer("leakyrelu", {{"alpha", as_written(attr_float(*node_, "alpha", 0.01f))}});
  } else if (op == "Dropout") {  // inference: the identity
    check_attrs(*node_, {"seed", "ratio"});
    if (node_->input_size() > 2 && !node_->input(2).empty()) {
      const onnx::TensorProto& mode = constant(2);
      const bool off = mode.data_type() == onnx::TensorProto::BOOL &&
                       std::all_of(mode.raw_data().begin(), mode.raw_data().end(), [](char c) { return c == 0; }) &&
                       std::all_of(mode.int32_data().begin(), mode.int32_data().end(), [](int v) { return v == 0; });
      NN_CHECK(off, "only training_mode false (inference) is supported");
    }
    add_layer("identity", {});
  } else {
    check_attrs(*node_, {});
    add_layer(op == "Relu" ? "relu" : op == "Sigmoid" ? "sigmoid" : op == "Tanh" ? "tanh" : "identity", {});
  }
}

void Importer::check_names() const {
  auto check = [&](const std::string& name, const char* what) {
    NN_CHECK(name.size() <= kMaxName, where_, ": a ", what, " name of ", name.size(), " bytes (at most ", kMaxName, ")");
  };
  for (const auto& n : g_.node()) {
    check(n.name(), "node");
    check(n.op_type(), "operator");
    check(n.domain(), "domain");
    for (const auto& v : n.input()) check(v, "value");
    for (const auto& v : n.output()) check(v, "value");
  }
  for (const auto& t : g_.initializer()) check(t.name(), "tensor");
  for (const auto& v : g_.input()) check(v.name(), "input");
  for (const auto& v : g_.output()) check(v.name(), "output");
}

LoadedModel Importer::run() {
  NN_CHECK(g_.node_size() <= kMaxOnnxNodes, where_, ": the graph has ", g_.node_size(), " nodes, at most ",
           kMaxOnnxNodes);
  NN_CHECK(g_.initializer_size() <= kMaxEntries && g_.sparse_initializer_size() == 0, where_, ": the graph has ",
           g_.initializer_size(), " initializers (at most ", kMaxEntries, ") or sparse ones, which nn does not read");
  check_names();
  for (const auto& t : g_.initializer()) consts_[t.name()] = &t;
  const onnx::ValueInfoProto* input = nullptr;  // the one input that is no initializer
  for (const auto& in : g_.input()) {
    if (consts_.count(in.name())) continue;
    NN_CHECK(input == nullptr, where_, ": the graph has more than one input ('", input ? input->name() : "", "', '",
             in.name(), "')");
    input = &in;
  }
  NN_CHECK(input != nullptr, where_, ": the graph has no input");
  NN_CHECK(g_.output_size() == 1, where_, ": the graph must have one output, found ", g_.output_size());
  const auto& type = input->type();
  NN_CHECK(type.has_tensor_type() && type.tensor_type().elem_type() == onnx::TensorProto::FLOAT &&
               type.tensor_type().has_shape(),
           where_, ": input '", input->name(), "' must be a float32 tensor of known shape");
  const auto& dims = type.tensor_type().shape().dim();
  NN_CHECK(dims.size() >= 2 && dims.size() <= Shape::kMaxRank, where_, ": input '", input->name(),
           "' must have 2 to 4 dimensions [batch, ...], found ", dims.size());
  std::vector<int64_t> sample;
  for (int i = 1; i < dims.size(); ++i) {
    NN_CHECK(dims[i].has_dim_value() && dims[i].dim_value() >= 1 && dims[i].dim_value() <= kMaxSize, where_,
             ": input '", input->name(), "' dimension ", i, " must be a size in 1..", kMaxSize);
    sample.push_back(dims[i].dim_value());
  }
  shape_ = Shape(std::span<const int64_t>(sample));
  cur_ = input->name();
  for (at_ = 0; at_ < g_.node_size(); ++at_) {
    node_ = &g_.node(at_);
    const std::string name = node_->name(), op = node_->op_type();
    const int index = at_;
    try {
      node();
    } catch (const Error& e) {
      fail(where_, ": node '", name, "' (", op, ", #", index, "): ", e.what());
    }
  }
  // A scaler the metadata names but the graph lacks would scale inputs twice elsewhere, or not at all here.
  NN_CHECK(scaler_read_ || !metadata_.count(kScalerMetadataKey), where_, ": metadata '", kScalerMetadataKey,
           "' records an input scaling that the graph does not start with (Sub, then Div or Mul)");
  NN_CHECK(cur_ == g_.output(0).name(), where_, ": the graph's output '", g_.output(0).name(),
           "' is not the end of its chain of layers ('", cur_, "')");
  LoadedModel out;
  out.spec = spec_;
  out.input_shape = Shape(std::span<const int64_t>(sample));
  out.metadata = std::move(metadata_);
  // Built under limits tied to the weights read, as load_model does.
  int64_t data_bytes = 0;
  for (const auto& [name, t] : dict_) data_bytes += t.numel() * int64_t{sizeof(float)};
  const TensorSizeLimit limit(std::max<int64_t>(data_bytes, int64_t{1} << 30), 4 * data_bytes + (int64_t{4} << 30));
  try {
    out.model = build_model(spec_, {.image_input = sample.size() == 3});
    out.model->eval();
    out.model->build(out.input_shape);
    load_state_dict(*out.model, dict_, true);
  } catch (const Error& e) {
    fail(where_, ": ", e.what());
  }
  return out;
}

}  // namespace onnx_proto

LoadedModel load_onnx_bytes(std::string_view bytes, std::string_view what) {
  const std::string where(what);
  NN_CHECK(bytes.size() <= kMaxOnnxBytes, where, ": ", bytes.size(), " bytes, more than the limit of ", kMaxOnnxBytes);
  try {
    check_wire(bytes);  // counts what parsing would allocate, first
  } catch (const Error& e) {
    fail(where, ": ", e.what());
  }
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetRecursionLimit(kMaxNesting);
  onnx::ModelProto proto;
  NN_CHECK(proto.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage(), where,
           ": not an ONNX model (the protobuf data is malformed or nested more than ", kMaxNesting, " deep)");
  NN_CHECK(proto.has_graph(), where, ": not an ONNX model (no graph)");
  int64_t opset = -1;
  for (const auto& o : proto.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  NN_CHECK(opset >= 7 && opset <= 22, where, ": ONNX opset ", opset,
           " is not supported (nn reads opsets 7 to 22 of the standard operators)");
  NN_CHECK(proto.metadata_props_size() <= kMaxEntries, where, ": more than ", kMaxEntries, " metadata_props entries");
  std::map<std::string, std::string> metadata;
  for (const auto& e : proto.metadata_props()) metadata[e.key()] = e.value();
  return onnx_proto::Importer(where, proto.graph(), std::move(metadata), bytes.size()).run();
}

#endif  // NN_HAVE_ONNX

}  // namespace nn::io
