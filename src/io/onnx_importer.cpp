// The importer's layers that need more than a line, its shape computations, the scaler prefix
// and decomposed GELU (see onnx_importer.hpp).
#ifdef NN_HAVE_ONNX
#include "onnx_importer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/error.hpp"
#include "nn/io/limits.hpp"
#include "nn/io/model_scaler.hpp"

namespace nn::io::onnx_proto {

using json = nlohmann::json;

// A float setting as the shortest decimal that reads back as it (0.2f: 0.2, not 0.20000000298).
double as_written(float v) { return std::stod(repr_float(v)); }

void Importer::linear(Tensor w, std::optional<Tensor> bias) {
  NN_CHECK(w.shape().rank() == 2, "the weight must be a matrix, found ", w.shape().str());
  const int64_t out = w.dim(0), in = w.dim(1);
  NN_CHECK(shape_.rank() == 1 && shape_[0] == in, "a linear layer of ", in, " inputs gets samples of shape ",
           shape_.str());
  Tensors tensors;
  tensors.emplace_back("weight", std::move(w));
  if (bias) {
    NN_CHECK(bias->numel() == out, "the bias has ", bias->numel(), " values, expected ", out);
    bias->reshape(Shape{out});
    tensors.emplace_back("bias", std::move(*bias));
  }
  shape_ = Shape{check_size(out, "linear: outputs")};
  add_layer("linear", {{"out", out}, {"bias", bias.has_value()}}, std::move(tensors));
}

// Conv, MaxPool, AveragePool on [C, H, W]: symmetric padding, no dilation, floor mode.
void Importer::window(const std::string& type) {
  const bool conv = type == "conv";
  NN_CHECK(shape_.rank() == 3, "expects samples [C, H, W], found ", shape_.str());
  NN_CHECK(attr_string(*node_, "auto_pad", "NOTSET") == "NOTSET", "auto_pad is not supported (give pads)");
  for (int64_t d : attr_ints(*node_, "dilations", {1, 1})) NN_CHECK(d == 1, "dilations other than 1 are not supported");
  NN_CHECK(attr_int(*node_, "ceil_mode", 0) == 0, "ceil_mode=1 is not supported");
  NN_CHECK(attr_int(*node_, "storage_order", 0) == 0, "storage_order=1 is not supported");
  std::optional<Tensor> w;
  if (conv) {
    NN_CHECK(attr_int(*node_, "group", 1) == 1, "grouped convolutions are not supported");
    w = weight(1, "the weight");
    NN_CHECK(w->shape().rank() == 4 && w->dim(1) == shape_[0], "the weight must be [out, ", shape_[0],
             ", kh, kw], found ", w->shape().str());
  }
  const auto k = attr_ints(*node_, "kernel_shape", conv ? std::vector<int64_t>{w->dim(2), w->dim(3)}
                                                        : std::vector<int64_t>{});
  const auto s = attr_ints(*node_, "strides", {1, 1});
  auto p = attr_ints(*node_, "pads", {0, 0, 0, 0});
  NN_CHECK(k.size() == 2 && s.size() == 2 && p.size() == 4, "expects a 2-D kernel_shape, strides and pads");
  NN_CHECK(!conv || (k[0] == w->dim(2) && k[1] == w->dim(3)), "kernel_shape differs from the weight's");
  NN_CHECK(p[0] == p[2] && p[1] == p[3], "asymmetric pads are not supported");
  for (int64_t v : {k[0], k[1], s[0], s[1]}) NN_CHECK(v >= 1 && v <= kMaxSize, "kernel and strides: expected 1..", kMaxSize);
  for (int64_t v : p) NN_CHECK(v >= 0 && v <= kMaxSize, "pads: expected 0..", kMaxSize);
  NN_CHECK(type != "avgpool" || attr_int(*node_, "count_include_pad", 0) == 1 || (p[0] == 0 && p[1] == 0),
           "count_include_pad=0 with padding is not supported (nn divides by the kernel's size)");
  p[0] += pad_h_;  // a Pad before it: zeros, which nn's padding is too
  p[1] += pad_w_;
  pad_h_ = pad_w_ = 0;
  NN_CHECK(shape_[1] + 2 * p[0] >= k[0] && shape_[2] + 2 * p[1] >= k[1], "the kernel is larger than the padded input ",
           shape_.str());
  const int64_t c = conv ? w->dim(0) : shape_[0];
  shape_ = Shape{c, (shape_[1] + 2 * p[0] - k[0]) / s[0] + 1, (shape_[2] + 2 * p[1] - k[1]) / s[1] + 1};
  auto size2 = [](int64_t h, int64_t w) { return h == w ? json(h) : json::array({h, w}); };  // as specs write it
  json params = {{"kernel", size2(k[0], k[1])}, {"stride", size2(s[0], s[1])}, {"padding", size2(p[0], p[1])}};
  Tensors tensors;
  if (conv) {
    const bool bias = node_->input_size() > 2 && !node_->input(2).empty();
    params["out"] = c;
    params["bias"] = bias;
    tensors.emplace_back("weight", std::move(*w));
    if (bias) {
      Tensor b = weight(2, "the bias");
      NN_CHECK(b.numel() == c, "the bias must have ", c, " values, found ", b.numel());
      b.reshape(Shape{c});
      tensors.emplace_back("bias", std::move(b));
    }
  }
  add_layer(type, std::move(params), std::move(tensors));
}

void Importer::normalization(const std::string& op) {
  const float eps = attr_float(*node_, "epsilon", 1e-5f);
  NN_CHECK(eps > 0.0f, "epsilon must be positive, found ", eps);
  for (int i = 1; i < node_->output_size(); ++i)
    NN_CHECK(node_->output(i).empty() || op == "LayerNormalization",
             "the training outputs (running statistics) are not supported");
  if (op == "BatchNormalization") {
    NN_CHECK(attr_int(*node_, "training_mode", 0) == 0 && attr_int(*node_, "spatial", 1) == 1,
             "only the inference form (training_mode 0) is supported");
    NN_CHECK(shape_.rank() == 1 || shape_.rank() == 3, "expects samples [C] or [C, H, W], found ", shape_.str());
    const int64_t c = shape_[0];
    const char* names[] = {"weight", "bias", "running_mean", "running_var"};
    Tensors tensors;
    for (int i = 0; i < 4; ++i) {
      Tensor t = weight(i + 1, names[i]);
      NN_CHECK(t.numel() == c, names[i], " must have ", c, " values, found ", t.numel());
      t.reshape(Shape{c});
      tensors.emplace_back(names[i], std::move(t));
    }
    Tensor count{Shape{}};
    count.fill(0.0f);
    tensors.emplace_back("num_batches_tracked", std::move(count));
    add_layer("batchnorm", {{"features", c}, {"eps", as_written(eps)}}, std::move(tensors));
    return;
  }
  const int64_t axis = attr_int(*node_, "axis", -1);
  NN_CHECK(shape_.rank() >= 1 && (axis == -1 || axis == shape_.rank()), "only the last axis is supported, found ",
           axis);
  const int64_t f = shape_[shape_.rank() - 1];
  Tensor w = weight(1, "the scale");
  NN_CHECK(w.numel() == f, "the scale must have ", f, " values, found ", w.numel());
  w.reshape(Shape{f});
  const bool has_bias = node_->input_size() > 2 && !node_->input(2).empty();
  const bool ones = std::all_of(w.data(), w.data() + f, [](float v) { return v == 1.0f; });
  Tensors tensors;
  if (has_bias || !ones) {  // nn's LayerNorm has both weight and bias or neither
    Tensor b(Shape{f});
    b.fill(0.0f);
    if (has_bias) {
      b = weight(2, "the bias");
      NN_CHECK(b.numel() == f, "the bias must have ", f, " values, found ", b.numel());
      b.reshape(Shape{f});
    }
    tensors.emplace_back("weight", std::move(w));
    tensors.emplace_back("bias", std::move(b));
  }
  const bool affine = !tensors.empty();
  add_layer("layernorm", {{"features", f}, {"eps", as_written(eps)}, {"elementwise_affine", affine}}, std::move(tensors));
}

// PyTorch writes AvgPool2d's padding as a Pad before the pool: zeros around H and W, folded into
// the AveragePool or Conv that follows.
void Importer::pad() {
  check_attrs(*node_, {"mode"});
  NN_CHECK(attr_string(*node_, "mode", "constant") == "constant", "only constant padding is supported");
  check_input_is_cur();
  NN_CHECK(node_->input_size() >= 2 && node_->input_size() <= 3 && node_->output_size() == 1,
           "expects data, pads and an optional constant value");
  if (node_->input_size() == 3 && !node_->input(2).empty()) {
    const Tensor v = weight(2, "the constant value");
    NN_CHECK(v.numel() == 1 && v.data()[0] == 0.0f, "only zero padding is supported");
  }
  const std::vector<int64_t> p = ints(node_->input(1));
  NN_CHECK(shape_.rank() == 3 && p.size() == 8 && p[0] == 0 && p[1] == 0 && p[4] == 0 && p[5] == 0 && p[2] == p[6] &&
               p[3] == p[7] && p[2] >= 0 && p[3] >= 0 && p[2] <= kMaxSize && p[3] <= kMaxSize,
           "only the same zero padding before and after H and W of [N, C, H, W] is supported");
  const onnx::NodeProto* next = at_ + 1 < g_.node_size() ? &g_.node(at_ + 1) : nullptr;
  NN_CHECK(next && (next->op_type() == "AveragePool" || next->op_type() == "Conv") && next->input_size() > 0 &&
               next->input(0) == node_->output(0),
           "a Pad is supported right before an AveragePool or a Conv only (it becomes their padding)");
  pad_h_ = p[2];
  pad_w_ = p[3];
  cur_ = node_->output(0);
}

// Shape, Gather, Unsqueeze, Concat, Constant, Identity of a constant: no layer, a value for later nodes.
bool Importer::shape_node() {
  const std::string& op = node_->op_type();
  if (op == "Constant") {
    check_attrs(*node_, {"value"});
    const auto* a = find_attr(*node_, "value");
    NN_CHECK(a && a->type() == onnx::AttributeProto::TENSOR && node_->output_size() == 1,
             "expects a tensor 'value' and one output");
    consts_[node_->output(0)] = &a->t();
    return true;
  }
  if (op == "Identity" && node_->input_size() == 1 && node_->output_size() == 1 && consts_.count(node_->input(0))) {
    consts_[node_->output(0)] = consts_.at(node_->input(0));  // PyTorch's alias of a shared weight
    return true;
  }
  if (op != "Shape" && op != "Gather" && op != "Unsqueeze" && op != "Concat") return false;
  NN_CHECK(node_->output_size() == 1 && node_->input_size() >= 1, "expects one output and an input");
  std::vector<int64_t> v;
  if (op == "Shape") {
    check_attrs(*node_, {});
    check_input_is_cur();
    v.push_back(kBatch);
    for (int64_t d : shape_.dims()) v.push_back(d);
  } else if (op == "Gather") {
    check_attrs(*node_, {"axis"});
    NN_CHECK(attr_int(*node_, "axis", 0) == 0 && node_->input_size() == 2, "expects axis 0 and two inputs");
    const std::vector<int64_t> data = ints(node_->input(0));
    const auto n = static_cast<int64_t>(data.size());
    for (int64_t i : ints(node_->input(1))) {
      NN_CHECK(i >= -n && i < n, "index ", i, " is out of range");
      v.push_back(data[static_cast<size_t>(i < 0 ? i + n : i)]);
    }
  } else if (op == "Unsqueeze") {
    check_attrs(*node_, {"axes"});
    v = ints(node_->input(0));  // a scalar or a vector: a list of values here
  } else {
    check_attrs(*node_, {"axis"});
    for (const std::string& in : node_->input()) {
      const std::vector<int64_t> part = ints(in);
      v.insert(v.end(), part.begin(), part.end());
      NN_CHECK(static_cast<int64_t>(v.size()) <= kMaxShapeValues, "too many values");
    }
  }
  ints_[node_->output(0)] = std::move(v);
  return true;
}

// The scaler export_onnx writes first (Sub, then Div or Mul), when "nn.preprocess" records it.
bool Importer::scaler_prefix() {
  if (at_ != 0 || !metadata_.count(kScalerMetadataKey) || node_->op_type() != "Sub") return false;
  const data::Scaler scaler = scaler_from_metadata(metadata_, where_);
  const auto expected = scaler_nodes(scaler, shape_);
  NN_CHECK(expected && g_.node_size() >= 2, "nn.preprocess records a scaler the graph does not start with");
  const onnx::NodeProto& second = g_.node(1);
  auto same = [&](const std::string& name, const Tensor& t) {
    auto it = consts_.find(name);
    if (it == consts_.end()) return false;
    const Tensor c = float_tensor(*it->second);
    return c.numel() == t.numel() && std::memcmp(c.data(), t.data(), static_cast<size_t>(t.numel()) * 4) == 0;
  };
  NN_CHECK(node_->input_size() == 2 && node_->input(0) == cur_ && same(node_->input(1), expected->shift) &&
               second.op_type() == expected->op && second.input_size() == 2 &&
               second.input(0) == node_->output(0) && same(second.input(1), expected->factor) &&
               second.output_size() == 1,
           "nn.preprocess records a scaler the graph's first nodes do not compute");
  cur_ = second.output(0);
  at_ = 1;
  scaler_read_ = true;
  return true;
}

// Element-wise nodes on scalars from cur_ (PyTorch's GELU is Div, Erf, Add, Mul, Mul): evaluated at
// probe points, the run up to the first value that is GELU (exact or tanh) becomes that layer.
bool Importer::elementwise_run() {
  static const std::vector<std::string> ops = {"Add", "Sub", "Mul", "Div", "Pow", "Erf", "Tanh"};
  auto is_op = [&](const std::string& op) { return std::find(ops.begin(), ops.end(), op) != ops.end(); };
  if (!is_op(node_->op_type()) || node_->op_type() == "Tanh") return false;
  const std::vector<double> probes = {-3.0, -1.2, -0.5, -0.1, 0.2, 0.7, 1.5, 4.0};
  auto gelu = [](double x, bool tanh_form) {
    if (!tanh_form) return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  };
  std::unordered_map<std::string, std::vector<double>> values{{cur_, probes}};
  for (int j = at_; j < g_.node_size() && j < at_ + kMaxElementwiseRun; ++j) {
    const onnx::NodeProto& n = g_.node(j);
    if (n.op_type() == "Constant" && n.output_size() == 1) {
      const onnx::NodeProto* saved = node_;
      node_ = &n;
      shape_node();
      node_ = saved;
      continue;
    }
    NN_CHECK(is_op(n.op_type()) && n.output_size() == 1 && n.input_size() >= 1 && n.attribute_size() == 0,
             "the element-wise nodes from here to '", n.name(), "' (", n.op_type(),
             ") compute no activation nn knows (nn recognises GELU)");
    std::vector<const std::vector<double>*> in;
    std::vector<std::vector<double>> scalars;
    scalars.reserve(2);
    for (const std::string& name : n.input()) {
      if (auto it = values.find(name); it != values.end()) {
        in.push_back(&it->second);
        continue;
      }
      auto c = consts_.find(name);
      NN_CHECK(c != consts_.end(), "node '", n.name(), "' reads '", name, "', which is neither from '", cur_,
               "' nor a constant");
      const auto& dims = c->second->dims();
      NN_CHECK(std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d == 1; }), "node '", n.name(),
               "': only single-value constants are supported");
      const Tensor t = float_tensor(*c->second);
      NN_CHECK(t.numel() == 1, "node '", n.name(), "': only single-value constants are supported, found ",
               t.shape().str());
      scalars.emplace_back(probes.size(), static_cast<double>(t.data()[0]));
      in.push_back(&scalars.back());
    }
    const bool unary = n.op_type() == "Erf" || n.op_type() == "Tanh";
    NN_CHECK(in.size() == (unary ? 1u : 2u), "node '", n.name(), "': wrong number of inputs");
    std::vector<double> out(probes.size());
    for (size_t p = 0; p < probes.size(); ++p) {
      const double a = (*in[0])[p], b = unary ? 0.0 : (*in[1])[p];
      const std::string& op = n.op_type();
      out[p] = op == "Add" ? a + b : op == "Sub" ? a - b : op == "Mul" ? a * b : op == "Div" ? a / b
             : op == "Pow" ? std::pow(a, b) : op == "Erf" ? std::erf(a) : std::tanh(a);
    }
    for (bool tanh_form : {false, true}) {
      bool match = true;
      for (size_t p = 0; p < probes.size(); ++p) {
        const double want = gelu(probes[p], tanh_form);
        match = match && std::fabs(out[p] - want) <= 1e-6 * (1.0 + std::fabs(want));
      }
      if (match) {
        add_layer("gelu", {{"approximate", tanh_form ? "tanh" : "none"}});
        cur_ = n.output(0);
        at_ = j;
        return true;
      }
    }
    values[n.output(0)] = std::move(out);
  }
  fail("the element-wise nodes from here on compute no activation nn knows (nn recognises GELU)");
}

}  // namespace nn::io::onnx_proto

#endif  // NN_HAVE_ONNX
