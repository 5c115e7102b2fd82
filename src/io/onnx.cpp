// ONNX export (the import is in onnx_import.cpp): each registry layer becomes one ONNX node whose
// weights are initializers under PyTorch's names ("0.weight"), stored bit for bit as raw
// little-endian float32.
#include "nn/io/onnx.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/io/limits.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/gelu.hpp"
#include "nn/layers/layer_norm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/pool.hpp"
#include "nn/version.hpp"

#ifdef NN_HAVE_ONNX
#include "onnx_proto.hpp"
#endif

namespace nn::io {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

std::vector<std::string> onnx_export_operators() {
  return {"AveragePool", "BatchNormalization", "Conv", "Flatten", "Gelu", "Gemm", "Identity", "LayerNormalization",
          "LeakyRelu", "MaxPool", "Relu", "Sigmoid", "Softmax", "Tanh"};
}

#ifndef NN_HAVE_ONNX

bool onnx_available() { return false; }

std::string onnx_model_bytes(const Module&, const std::vector<int64_t>&, const OnnxExportOptions&) {
  fail("ONNX export: this nn was built without ONNX support (it needs protobuf: libprotobuf-dev, protobuf-compiler)");
}

#else

bool onnx_available() { return true; }

namespace {

using json = nlohmann::json;

// Builds the graph node by node; `cur` is the name of the value the next node reads.
struct GraphWriter {
  onnx::GraphProto* graph;
  std::string cur = "input";
  int64_t opset = kOnnxOpset;

  void add_tensor(const std::string& name, const Tensor& t) {
    onnx::TensorProto* init = graph->add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : t.shape().dims()) init->add_dims(d);
    if (t.is_cuda()) {  // a model on a GPU exports the same file: its weights copied to the host
      const std::vector<float> host = t.to_vector();
      init->set_raw_data(std::string(reinterpret_cast<const char*>(host.data()), host.size() * 4));
      return;
    }
    init->set_raw_data(std::string(reinterpret_cast<const char*>(t.data()), static_cast<size_t>(t.numel()) * 4));
  }

  onnx::NodeProto* node(const std::string& layer, const std::string& op, std::vector<std::string> inputs,
                        const std::string& output) {
    onnx::NodeProto* n = graph->add_node();
    n->set_name("/" + layer + "/" + op);
    n->set_op_type(op);
    n->add_input(cur);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output);
    cur = output;
    return n;
  }
};

void attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void attr(onnx::NodeProto* n, const std::string& name, float v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

void attr(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void window_attrs(onnx::NodeProto* n, Size2 kernel, Size2 stride, Size2 padding) {
  attr(n, "kernel_shape", std::vector<int64_t>{kernel.h, kernel.w});
  attr(n, "strides", std::vector<int64_t>{stride.h, stride.w});
  attr(n, "pads", std::vector<int64_t>{padding.h, padding.w, padding.h, padding.w});
}

// The named tensors of one layer by their local name ("weight", "running_mean").
const Tensor* local_tensor(const Module& m, const std::string& local) {
  for (const auto& [name, p] : m.named_parameters())
    if (name == local) return &p->data;
  for (const auto& [name, b] : m.named_buffers())
    if (name == local) return b;
  return nullptr;
}

// A float tensor [batch, ...sample].
void set_value_info(onnx::ValueInfoProto* v, const std::string& name, const Shape& sample) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("batch");
  for (int64_t d : sample.dims()) s->add_dim()->set_dim_value(d);
}

// The shape of one output sample of layer `m` for input samples of shape `in` (what Module::build
// computes, without touching the model); nn::Error when the layer cannot take them.
Shape output_shape(const std::string& name, const Module& m, const Shape& in) {
  const std::string type = m.spec_name();
  auto expect = [&](bool ok, const char* what) {
    NN_CHECK(ok, "ONNX export: layer ", name, " (", m.type_name(), ") expects samples ", what, ", found ", in.str());
  };
  auto window = [&](int64_t c, Size2 k, Size2 s, Size2 p) {
    expect(in.rank() == 3 && in[1] + 2 * p.h >= k.h && in[2] + 2 * p.w >= k.w, "[C, H, W] at least its kernel");
    return Shape{c, (in[1] + 2 * p.h - k.h) / s.h + 1, (in[2] + 2 * p.w - k.w) / s.w + 1};
  };
  if (type == "linear") {
    const auto& l = dynamic_cast<const Linear&>(m);
    expect(in.rank() == 1 && in[0] == l.in_features(), ("[" + std::to_string(l.in_features()) + "]").c_str());
    return Shape{l.out_features()};
  }
  if (type == "conv") {
    const auto& c = dynamic_cast<const Conv2D&>(m);
    expect(in.rank() == 3 && in[0] == c.in_channels(), ("[" + std::to_string(c.in_channels()) + ", H, W]").c_str());
    return window(c.out_channels(), c.kernel_size(), c.stride(), c.padding());
  }
  if (type == "maxpool" || type == "avgpool") {
    const auto& p = dynamic_cast<const Pool2D&>(m);
    return window(in.rank() == 3 ? in[0] : 0, p.kernel_size(), p.stride(), p.padding());
  }
  if (type == "flatten") return Shape{in.numel()};
  if (type == "batchnorm") {
    const int64_t c = dynamic_cast<const BatchNorm&>(m).num_features();
    expect((in.rank() == 1 || in.rank() == 3) && in[0] == c, "[C] or [C, H, W] of its features");
  }
  if (type == "layernorm") {
    const int64_t f = dynamic_cast<const LayerNorm&>(m).normalized_shape();
    expect(in.rank() >= 1 && in[in.rank() - 1] == f, "[..., F] of its features");
  }
  if (type == "softmax") expect(in.rank() == 1, "[C]");
  return in;
}

// One layer as its ONNX node(s).
void export_layer(GraphWriter& g, const std::string& name, const Module& m, const std::string& output) {
  const std::string type = m.spec_name();
  auto tensor = [&](const std::string& local) -> std::string {
    const Tensor* t = local_tensor(m, local);
    NN_CHECK(t != nullptr && t->numel() > 0, "ONNX export: layer ", name, " (", m.type_name(), ") has no '", local,
             "' yet (build the model first: a forward pass or Sequential::build)");
    g.add_tensor(name + "." + local, *t);
    return name + "." + local;
  };
  auto has = [&](const std::string& local) { return local_tensor(m, local) != nullptr; };
  if (type == "linear") {
    std::vector<std::string> in{tensor("weight")};
    if (has("bias")) in.push_back(tensor("bias"));
    onnx::NodeProto* n = g.node(name, "Gemm", in, output);
    attr(n, "transB", int64_t{1});
  } else if (type == "conv") {
    const auto& c = dynamic_cast<const Conv2D&>(m);
    std::vector<std::string> in{tensor("weight")};
    if (has("bias")) in.push_back(tensor("bias"));
    onnx::NodeProto* n = g.node(name, "Conv", in, output);
    window_attrs(n, c.kernel_size(), c.stride(), c.padding());
    attr(n, "dilations", std::vector<int64_t>{1, 1});
    attr(n, "group", int64_t{1});
  } else if (type == "maxpool" || type == "avgpool") {
    const auto& p = dynamic_cast<const Pool2D&>(m);
    onnx::NodeProto* n = g.node(name, type == "maxpool" ? "MaxPool" : "AveragePool", {}, output);
    window_attrs(n, p.kernel_size(), p.stride(), p.padding());
    if (type == "avgpool") attr(n, "count_include_pad", int64_t{1});  // nn divides by kh*kw
  } else if (type == "flatten") {
    attr(g.node(name, "Flatten", {}, output), "axis", int64_t{1});
  } else if (type == "batchnorm") {
    const auto& b = dynamic_cast<const BatchNorm&>(m);
    const int64_t c = b.num_features();
    NN_CHECK(c > 0, "ONNX export: layer ", name, " (", m.type_name(), ") is not built yet");
    std::string scale, shift;
    if (b.options().affine) {
      scale = tensor("weight");
      shift = tensor("bias");
    } else {  // ONNX needs scale and bias: ones and zeros
      Tensor ones(Shape{c}), zeros(Shape{c});
      ones.fill(1.0f);
      zeros.fill(0.0f);
      g.add_tensor(scale = name + ".scale", ones);
      g.add_tensor(shift = name + ".shift", zeros);
    }
    onnx::NodeProto* n =
        g.node(name, "BatchNormalization", {scale, shift, tensor("running_mean"), tensor("running_var")}, output);
    attr(n, "epsilon", b.options().eps);
    attr(n, "momentum", 1.0f - b.options().momentum);  // ONNX's momentum weighs the running value
  } else if (type == "layernorm") {
    const auto& l = dynamic_cast<const LayerNorm&>(m);
    std::vector<std::string> in;
    if (l.options().elementwise_affine) {
      in = {tensor("weight"), tensor("bias")};
    } else {  // ONNX needs a scale: ones (an import reads ones without a bias as no affine)
      NN_CHECK(l.normalized_shape() > 0, "ONNX export: layer ", name, " (LayerNorm) is not built yet");
      Tensor ones(Shape{l.normalized_shape()});
      ones.fill(1.0f);
      g.add_tensor(name + ".scale", ones);
      in = {name + ".scale"};
    }
    onnx::NodeProto* n = g.node(name, "LayerNormalization", in, output);
    attr(n, "axis", int64_t{-1});
    attr(n, "epsilon", l.options().eps);
  } else if (type == "dropout" || type == "identity") {
    g.node(name, "Identity", {}, output);
  } else if (type == "relu") {
    g.node(name, "Relu", {}, output);
  } else if (type == "leakyrelu") {
    attr(g.node(name, "LeakyRelu", {}, output), "alpha", dynamic_cast<const LeakyReLU&>(m).negative_slope());
  } else if (type == "sigmoid") {
    g.node(name, "Sigmoid", {}, output);
  } else if (type == "tanh") {
    g.node(name, "Tanh", {}, output);
  } else if (type == "softmax") {
    attr(g.node(name, "Softmax", {}, output), "axis", int64_t{1});  // nn's Softmax: dim=1
  } else if (type == "gelu") {
    const bool tanh = dynamic_cast<const GELU&>(m).approximate() == GeluApproximate::tanh;
    attr(g.node(name, "Gelu", {}, output), "approximate", std::string(tanh ? "tanh" : "none"));
  } else {
    fail("ONNX export: layer ", name, " (", m.type_name(), ") has no ONNX form (nn writes: ",
         [] {
           std::string s;
           for (const auto& op : onnx_export_operators()) s += (s.empty() ? "" : ", ") + op;
           return s;
         }(),
         ")");
  }
}

}  // namespace

std::string onnx_model_bytes(const Module& model, const std::vector<int64_t>& input_shape,
                             const OnnxExportOptions& options) {
  NN_CHECK(!input_shape.empty() && input_shape.size() < static_cast<size_t>(Shape::kMaxRank),
           "ONNX export: the input shape must have 1 to 3 sizes (one sample, no batch), found ", input_shape.size());
  for (int64_t d : input_shape) check_size(d, "ONNX export: an input size");
  const Shape sample{std::span<const int64_t>(input_shape)};
  // The spec first: it names any layer that is no registry layer.
  const ModelSpec spec = spec_of(model);
  std::vector<std::pair<std::string, const Module*>> layers;
  if (model.children().empty())
    layers.emplace_back("0", &model);
  else
    for (const auto& [name, child] : model.children()) layers.emplace_back(name, child.get());

  onnx::ModelProto proto;
  bool gelu = false;
  for (const auto& [name, m] : layers) gelu = gelu || m->spec_name() == "gelu";
  const int64_t opset = gelu ? 20 : kOnnxOpset;
  proto.set_ir_version(gelu ? 9 : 8);
  proto.set_producer_name("nn");
  proto.set_producer_version(NN_VERSION_STRING);
  proto.set_model_version(1);
  proto.set_doc_string("exported by nn " NN_VERSION_STRING);
  onnx::OperatorSetIdProto* op = proto.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  onnx::GraphProto* graph = proto.mutable_graph();
  graph->set_name("nn");
  set_value_info(graph->add_input(), "input", sample);
  GraphWriter g{graph, "input", opset};
  std::map<std::string, std::string> metadata = options.metadata;
  metadata.erase(kScalerMetadataKey);
  std::optional<onnx_proto::ScalerNodes> scaler;
  try {
    scaler = onnx_proto::scaler_nodes(options.scaler, sample);
  } catch (const Error& e) {
    fail("ONNX export: ", e.what());
  }
  if (scaler) {
    g.add_tensor(onnx_proto::kScalerShift, scaler->shift);
    g.add_tensor(onnx_proto::kScalerFactor, scaler->factor);
    g.node("preprocess", "Sub", {onnx_proto::kScalerShift}, "/preprocess/shifted");
    g.node("preprocess", scaler->op, {onnx_proto::kScalerFactor}, layers.empty() ? "output" : "/preprocess/output");
    put_scaler(metadata, options.scaler);
  }
  Shape shape = sample;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& [name, m] = layers[i];
    export_layer(g, name, *m, i + 1 == layers.size() ? "output" : "/" + name + "/output");
    shape = output_shape(name, *m, shape);
  }
  if (g.cur != "output") g.node("output", "Identity", {}, "output");
  set_value_info(graph->add_output(), "output", shape);

  metadata["nn.model_spec"] = to_json(spec).dump();
  metadata["nn.input_shape"] = json(input_shape).dump();
  metadata["nn.version"] = NN_VERSION_STRING;
  for (const auto& [key, value] : metadata) {
    onnx::StringStringEntryProto* e = proto.add_metadata_props();
    e->set_key(key);
    e->set_value(value);
  }
  std::string bytes;
  NN_CHECK(proto.SerializeToString(&bytes), "ONNX export: the model does not fit in one ONNX file (2 GiB at most)");
  return bytes;
}

#endif  // NN_HAVE_ONNX

void export_onnx(const Module& model, const std::vector<int64_t>& input_shape, const std::filesystem::path& path,
                 const OnnxExportOptions& options) {
  std::string bytes;
  try {
    bytes = onnx_model_bytes(model, input_shape, options);
  } catch (const Error& e) {
    fail(path.string(), ": ", e.what());
  }
  write_file_atomic(path, bytes);
}

}  // namespace nn::io
