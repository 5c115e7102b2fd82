// Internal to io/onnx: the importer's state while it walks an ONNX graph as a chain of layers
// (onnx_import.cpp: the walk, the operator dispatch and the loading; onnx_importer.cpp: the layers
// that need more than a line, the shape computations, the scaler prefix and decomposed GELU).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/io/model_io.hpp"
#include "onnx_proto.hpp"

namespace nn::io::onnx_proto {

inline constexpr int64_t kBatch = INT64_MIN;   // the batch size in a shape computation
inline constexpr int kMaxElementwiseRun = 32;  // nodes of one decomposed activation

// A float setting as the shortest decimal that reads back as it (0.2f: 0.2, not 0.20000000298).
double as_written(float v);

using Tensors = std::vector<std::pair<std::string, Tensor>>;

class Importer {
 public:
  // `file_bytes`: the size of the file, which bounds the bytes of weights it may yield.
  Importer(std::string where, const onnx::GraphProto& g, std::map<std::string, std::string> metadata,
           uint64_t file_bytes)
      : where_(std::move(where)), g_(g), metadata_(std::move(metadata)), budget_(2 * file_bytes + (1 << 20)) {}
  LoadedModel run();

 private:
  std::string where_;
  const onnx::GraphProto& g_;
  std::map<std::string, std::string> metadata_;
  std::unordered_map<std::string, const onnx::TensorProto*> consts_;
  std::unordered_map<std::string, std::vector<int64_t>> ints_;  // evaluated shape computations
  std::string cur_;
  Shape shape_;  // of one sample of cur_
  ModelSpec spec_;
  StateDict dict_;
  const onnx::NodeProto* node_ = nullptr;
  int at_ = 0;  // the node's index
  int64_t pad_h_ = 0, pad_w_ = 0;  // a Pad's zeros, for the AveragePool or Conv right after it
  bool scaler_read_ = false;       // whether the graph began with the scaler "nn.preprocess" records
  uint64_t budget_;                // bytes the layers' tensors may take in all (a weight used twice counts twice)
  uint64_t used_ = 0;
  void check_names() const;

  const onnx::TensorProto& constant(int input) const;
  Tensor weight(int input, const char* what) const;
  std::vector<int64_t> ints(const std::string& name) const;
  void check_input_is_cur() const;
  void add_layer(const std::string& type, nlohmann::json params, Tensors tensors = {});
  void linear(Tensor weight, std::optional<Tensor> bias);
  void window(const std::string& type);
  void normalization(const std::string& op);
  void pad();
  bool shape_node();
  bool scaler_prefix();
  bool elementwise_run();
  void node();
};

}  // namespace nn::io::onnx_proto
