// io/onnx: export and import round trips (bit-exact weights, equal outputs) and the loader's
// checks on hostile files, built with the ONNX schema's own protobuf classes. The comparison with
// onnxruntime and PyTorch is tests/interop/onnx_interop.py (interop.onnx).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nn/io/model_scaler.hpp"
#include "nn/io/onnx.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/gelu.hpp"
#include "nn/layers/layer_norm.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/sequential.hpp"
#include "support/support.hpp"

#ifdef NN_HAVE_ONNX
#include "nn_onnx.pb.h"

namespace {

using nn::Shape;
using nn::Tensor;
using nn::test::error_of;

// Every tensor of `a` equals the one of `b` under the same name, bit for bit.
void expect_same_weights(nn::Module& a, nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_EQ(nn::test::bits(pa[i].second->data), nn::test::bits(pb[i].second->data)) << pa[i].first;
  }
  auto ba = a.named_buffers(), bb = b.named_buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (size_t i = 0; i < ba.size(); ++i) {
    if (ba[i].first.ends_with("num_batches_tracked")) continue;
    EXPECT_EQ(nn::test::bits(*ba[i].second), nn::test::bits(*bb[i].second)) << ba[i].first;
  }
}

TEST(Onnx, MlpRoundTripIsBitExact) {
  nn::manual_seed(3);
  nn::Sequential model(nn::Linear(6, 8), nn::GELU(nn::GeluApproximate::tanh), nn::LayerNorm(8), nn::LeakyReLU(0.2f),
                       nn::Dropout(0.3f), nn::BatchNorm1d(8), nn::Linear(8, 3, {.bias = false}), nn::Softmax());
  model.eval();
  const nn::io::LoadedModel loaded = nn::io::load_onnx_bytes(nn::io::onnx_model_bytes(model, {6}));
  EXPECT_EQ(loaded.input_shape, Shape{6});
  expect_same_weights(model, *loaded.model);
  EXPECT_EQ(nn::io::to_compact(loaded.spec), "linear:8,gelu:tanh,layernorm:8,leakyrelu:0.2,identity,batchnorm:8,"
                                             "linear:3,softmax");
  EXPECT_TRUE(loaded.metadata.count("nn.model_spec") && loaded.metadata.count("nn.version"));
  const Tensor x = nn::test::random_tensor(Shape{5, 6}, 7);
  EXPECT_EQ(nn::test::bits(model(x)), nn::test::bits((*loaded.model)(x)));
}

TEST(Onnx, CnnRoundTripIsBitExact) {
  nn::manual_seed(4);
  nn::Sequential model(nn::Conv2D(2, 4, 3, {.stride = 2, .padding = 1}), nn::BatchNorm2d(4), nn::ReLU(),
                       nn::MaxPool2D(2), nn::Conv2D(4, 5, 1), nn::AvgPool2D(2, 1, 1), nn::Tanh(), nn::Flatten(),
                       nn::Linear(5 * 4 * 4, 3), nn::Sigmoid());
  model.eval();
  const nn::io::LoadedModel loaded = nn::io::load_onnx_bytes(nn::io::onnx_model_bytes(model, {2, 11, 11}));
  expect_same_weights(model, *loaded.model);
  const Tensor x = nn::test::random_tensor(Shape{3, 2, 11, 11}, 8);
  EXPECT_EQ(nn::test::bits(model(x)), nn::test::bits((*loaded.model)(x)));
}

TEST(Onnx, TheScalerIsTheGraphsFirstNodesAndComesBack) {
  nn::Sequential model(nn::Linear(3, 2));
  nn::data::Scaler scaler = nn::data::Scaler::from_json(
      nlohmann::json::parse(R"({"kind": "standard", "a": [1, 2, 3], "b": [0.5, 2, 4]})"));
  nn::io::OnnxExportOptions options;
  options.scaler = scaler;
  const std::string bytes = nn::io::onnx_model_bytes(model, {3}, options);
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  EXPECT_EQ(proto.graph().node(0).op_type(), "Sub");
  EXPECT_EQ(proto.graph().node(1).op_type(), "Div");
  const nn::io::LoadedModel loaded = nn::io::load_onnx_bytes(bytes);
  EXPECT_EQ(nn::io::scaler_from_metadata(loaded.metadata, "test"), scaler);
  EXPECT_EQ(loaded.spec.layers.size(), 1u);

  // Metadata that names a scaler the graph does not compute is refused.
  proto.mutable_graph()->mutable_initializer(1)->mutable_raw_data()->at(0) ^= 1;
  EXPECT_HAS(error_of([&] { nn::io::load_onnx_bytes(proto.SerializeAsString()); }), "do not compute");
  const std::string plain = nn::io::onnx_model_bytes(model, {3});
  ASSERT_TRUE(proto.ParseFromString(plain));
  auto* entry = proto.add_metadata_props();
  entry->set_key("nn.preprocess");
  entry->set_value(scaler.to_json().dump());
  EXPECT_HAS(error_of([&] { nn::io::load_onnx_bytes(proto.SerializeAsString()); }), "does not start with");
}

TEST(Onnx, ExportNamesWhatItCannotWrite) {
  nn::Sequential deferred(nn::Linear(4));
  EXPECT_HAS(error_of([&] { nn::io::onnx_model_bytes(deferred, {3}); }), "has no 'weight' yet");
  nn::Sequential model(nn::Linear(4, 2));
  EXPECT_HAS(error_of([&] { nn::io::onnx_model_bytes(model, {5}); }), "layer 0 (Linear) expects samples [4]");
  EXPECT_HAS(error_of([&] { nn::io::onnx_model_bytes(model, {}); }), "1 to 3 sizes");
  nn::test::TempDir dir;
  EXPECT_HAS(error_of([&] { nn::io::export_onnx(model, {5}, dir / "m.onnx"); }), "m.onnx");
  EXPECT_FALSE(std::filesystem::exists(dir / "m.onnx"));
  nn::io::export_onnx(model, {4}, dir / "m.onnx");
  EXPECT_EQ(nn::io::load_onnx(dir / "m.onnx").spec.layers.size(), 1u);
}

// A graph [batch, 4] -> Gemm(W [3, 4]) -> output, to be broken by each test.
onnx::ModelProto small_model() {
  nn::Sequential model(nn::Linear(4, 3));
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromString(nn::io::onnx_model_bytes(model, {4})));
  return proto;
}

std::string load_error(const onnx::ModelProto& proto) {
  return error_of([&] { nn::io::load_onnx_bytes(proto.SerializeAsString(), "m.onnx"); });
}

TEST(OnnxLoader, RefusesMalformedBytes) {
  const std::string bytes = small_model().SerializeAsString();
  EXPECT_HAS(error_of([&] { nn::io::load_onnx_bytes(bytes.substr(0, bytes.size() / 2), "m.onnx"); }),
             "m.onnx: not an ONNX model");
  EXPECT_HAS(error_of([&] { nn::io::load_onnx_bytes("", "m.onnx"); }), "no graph");
  nn::test::TempDir dir;
  EXPECT_HAS(error_of([&] { nn::io::load_onnx(dir.path()); }), "directory");
}

TEST(OnnxLoader, UnsupportedOperatorNamesNodeOperatorAndTheSupportedOnes) {
  onnx::ModelProto proto = small_model();
  proto.mutable_graph()->mutable_node(0)->set_op_type("Cos");
  proto.mutable_graph()->mutable_node(0)->set_name("my_node");
  const std::string e = load_error(proto);
  EXPECT_HAS(e, "node 'my_node' (Cos, #0)");
  EXPECT_HAS(e, "operator 'Cos' is not supported (nn reads: AveragePool, BatchNormalization");
}

TEST(OnnxLoader, ChecksTensorsBeforeAllocating) {
  onnx::ModelProto proto = small_model();
  onnx::TensorProto* w = proto.mutable_graph()->mutable_initializer(0);
  w->set_dims(0, int64_t{1} << 40);
  w->set_dims(1, int64_t{1} << 40);
  EXPECT_HAS(load_error(proto), "tensor '0.weight': negative or too large dimensions");
  w->set_dims(0, -3);
  EXPECT_HAS(load_error(proto), "negative or too large");
  w->set_dims(0, 3);
  w->set_dims(1, 5);
  EXPECT_HAS(load_error(proto), "expected 60 bytes of data, found 48");
  w->set_dims(1, 4);
  w->set_data_type(onnx::TensorProto::DOUBLE);
  EXPECT_HAS(load_error(proto), "expected element type float32");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* entry = w->add_external_data();
  entry->set_key("location");
  entry->set_value("../../etc/passwd");
  EXPECT_HAS(load_error(proto), "keeps its data in an external file");
}

TEST(OnnxLoader, BoundsNestingNodesAndOpsets) {
  // An attribute holding a graph holding a node with an attribute ... 40 levels deep.
  onnx::ModelProto proto = small_model();
  onnx::NodeProto* node = proto.mutable_graph()->mutable_node(0);
  for (int i = 0; i < 40; ++i) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name("body");
    a->set_type(onnx::AttributeProto::GRAPH);
    node = a->mutable_g()->add_node();
  }
  EXPECT_HAS(load_error(proto), "nested more than 32 deep");

  // Two bytes on the wire per empty node, over a hundred in memory: counted before parsing.
  std::string nodes;
  for (int i = 0; i < (1 << 20) + 1; ++i) nodes += std::string("\x0a\x00", 2);
  std::string graph = "\x3a";  // ModelProto.graph, length-delimited
  for (uint64_t n = nodes.size(); ; n >>= 7) {
    graph += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    if (n < 0x80) break;
  }
  EXPECT_HAS(error_of([&] { nn::io::load_onnx_bytes(graph + nodes, "m.onnx"); }), "more than 1048576 protobuf items");

  proto = small_model();
  for (int i = 0; i <= nn::io::kMaxOnnxNodes; ++i) {
    onnx::NodeProto* n = proto.mutable_graph()->add_node();
    n->set_op_type("Identity");
  }
  EXPECT_HAS(load_error(proto), "nodes, at most 4096");

  proto = small_model();
  proto.mutable_opset_import(0)->set_version(99);
  EXPECT_HAS(load_error(proto), "opset 99 is not supported");
}

TEST(OnnxLoader, BoundsNamesAndWeightsUsedManyTimes) {
  onnx::ModelProto proto = small_model();
  proto.mutable_graph()->mutable_node(0)->set_name(std::string(5000, 'n'));
  EXPECT_HAS(load_error(proto), "a node name of 5000 bytes (at most 1024)");

  // One 1 MiB weight read by four layers: more weights than the file could hold twice.
  nn::Sequential model(nn::Linear(512, 512), nn::Linear(512, 512), nn::Linear(512, 512), nn::Linear(512, 512));
  ASSERT_TRUE(proto.ParseFromString(nn::io::onnx_model_bytes(model, {512})));
  for (int i = 0; i < 4; ++i) proto.mutable_graph()->mutable_node(i)->set_input(1, "0.weight");
  for (int i = 7; i >= 1; --i)
    if (proto.graph().initializer(i).name().ends_with(".weight"))
      proto.mutable_graph()->mutable_initializer()->DeleteSubrange(i, 1);
  EXPECT_HAS(load_error(proto), "more than twice the file's size");
}

TEST(OnnxLoader, ReadsAWeightThroughAnIdentityAndAConstantNode) {
  nn::Sequential model(nn::Linear(4, 3));
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(nn::io::onnx_model_bytes(model, {4})));
  auto* graph = proto.mutable_graph();
  // The bias as a Constant node, the weight through an Identity, both before the Gemm.
  onnx::NodeProto gemm = graph->node(0);
  graph->clear_node();
  onnx::NodeProto* c = graph->add_node();
  c->set_op_type("Constant");
  c->add_output("b");
  onnx::AttributeProto* value = c->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  *value->mutable_t() = graph->initializer(1);
  onnx::NodeProto* id = graph->add_node();
  id->set_op_type("Identity");
  id->add_input("0.weight");
  id->add_output("w");
  gemm.set_input(1, "w");
  gemm.set_input(2, "b");
  *graph->add_node() = gemm;
  graph->mutable_initializer()->DeleteSubrange(1, 1);
  const nn::io::LoadedModel loaded = nn::io::load_onnx_bytes(proto.SerializeAsString());
  EXPECT_EQ(nn::io::to_compact(loaded.spec), "linear:3");
  expect_same_weights(model, *loaded.model);
}

TEST(OnnxLoader, RefusesWhatIsNotAChainOfLayers) {
  onnx::ModelProto proto = small_model();
  *proto.mutable_graph()->add_input() = proto.graph().input(0);
  proto.mutable_graph()->mutable_input(1)->set_name("second");
  EXPECT_HAS(load_error(proto), "more than one input");

  proto = small_model();
  proto.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_param("width");
  EXPECT_HAS(load_error(proto), "dimension 1 must be a size");

  proto = small_model();
  proto.mutable_graph()->mutable_output(0)->set_name("elsewhere");
  EXPECT_HAS(load_error(proto), "is not the end of its chain");

  proto = small_model();
  onnx::NodeProto* relu = proto.mutable_graph()->add_node();
  relu->set_op_type("Relu");
  relu->set_name("side");
  relu->add_input("input");
  relu->add_output("side_out");
  EXPECT_HAS(load_error(proto), "node 'side' (Relu, #1): its input 'input' is not the output of the layer before");

  proto = small_model();
  onnx::AttributeProto* a = proto.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("alpha");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(2.0f);
  EXPECT_HAS(load_error(proto), "only alpha=1, beta=1, transA=0");
}

}  // namespace

#endif  // NN_HAVE_ONNX
