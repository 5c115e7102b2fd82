// `nn info FILE`: a saved model's (or an ONNX file's) layers and parameters, or where a
// checkpoint's training stands.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/io/model_scaler.hpp"
#include "nn/nn.hpp"
#include "nn/version.hpp"

namespace nn::cli {

namespace {

int checkpoint_info(const std::string& path) {
  const io::CheckpointState ck = io::load_checkpoint(path);
  std::printf("%s: nn checkpoint, format version %d\n", path.c_str(), io::kCheckpointFormatVersion);
  std::printf("position: step %lld; %lld epochs finished; resumes at epoch %lld, batch %lld\n",
              static_cast<long long>(ck.step), static_cast<long long>(ck.history.size()),
              static_cast<long long>(ck.epoch + 1), static_cast<long long>(ck.batch + 1));
  int64_t params = 0;
  for (auto& [name, t] : ck.model) params += t.numel();
  std::printf("model: %lld tensors (parameters and buffers), %lld values\n", static_cast<long long>(ck.model.size()),
              static_cast<long long>(params));
  std::printf("optimizer: %s, %lld steps, %lld state tensors\n", ck.optimizer_type.c_str(),
              static_cast<long long>(ck.optimizer_steps), static_cast<long long>(ck.optimizer.size()));
  if (ck.scheduler_epoch >= 0) std::printf("scheduler epoch: %lld\n", static_cast<long long>(ck.scheduler_epoch));
  if (!ck.history.empty()) {
    const auto& r = ck.history.back();
    std::printf("last epoch: %lld, train_loss %.6g, val_loss %.6g\n", static_cast<long long>(r.epoch + 1), r.train_loss,
                r.val_loss);
  }
  if (ck.best_epoch >= 0)
    std::printf("best: %s %.6g at epoch %lld\n", ck.monitor.c_str(), ck.best, static_cast<long long>(ck.best_epoch + 1));
  std::printf("settings: %s\n", ck.settings->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  for (auto& [k, v] : ck.metadata)
    if (k.starts_with("nn.") && k != io::kScalerMetadataKey) std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}

}  // namespace

int run_info(const InfoOptions& o) {
  const std::string& path = o.model_path;
  if (path.empty()) {  // nn itself: its version and the devices it can train on
    std::printf("%s\n", version_line().c_str());
    std::printf("devices: cpu");
    for (int i = 0; i < cuda::device_count(); ++i) std::printf(", %s", Device::cuda(i).str().c_str());
    std::printf("\n");
    if (!cuda::built())
      std::printf("cuda: not built (configure with -DNN_CUDA=ON where nvcc and the CUDA toolkit are installed)\n");
    else if (!cuda::is_available())
      std::printf("cuda: built, but no CUDA device here (no GPU, or no CUDA driver)\n");
    else
      std::printf("cuda: %d device%s\n", cuda::device_count(), cuda::device_count() == 1 ? "" : "s");
    std::printf("default device (--device auto): %s\n", default_device().str().c_str());
    return 0;
  }
  const bool onnx = path.ends_with(".onnx");
  if (!onnx && io::is_checkpoint_file(path)) return checkpoint_info(path);
  io::ScaledModel m = load_for_inference(path, "", "");
  auto& model = *m.model.model;
  if (onnx)
    std::printf("%s: ONNX model, read as %s\n", path.c_str(), io::to_compact(m.model.spec).c_str());
  else
    std::printf("%s: nn model, format version %d\n", path.c_str(), m.model.format_version);
  std::printf("input: %s per sample\n", m.model.input_shape.str().c_str());
  std::printf("%s\n", model.repr().c_str());
  std::printf("%-14s %-18s %12s\n", "layer", "parameter", "count");
  for (auto& [name, p] : model.named_parameters())
    std::printf("%-14s %-18s %12lld\n", name.substr(0, name.rfind('.')).c_str(),
                (name + " " + p->data.shape().str()).c_str(), static_cast<long long>(p->data.numel()));
  std::printf("total parameters: %lld\n", static_cast<long long>(parameter_count(model)));
  for (auto& [k, v] : m.model.metadata)
    if (k.starts_with("nn.") && k != io::kScalerMetadataKey) std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}

}  // namespace nn::cli
