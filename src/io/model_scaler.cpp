#include "nn/io/model_scaler.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/json.hpp"

namespace nn::io {

void put_scaler(std::map<std::string, std::string>& metadata, const data::Scaler& scaler) {
  metadata[kScalerMetadataKey] = scaler.to_json().dump();
}

data::Scaler scaler_from_metadata(const std::map<std::string, std::string>& metadata, std::string_view what) {
  auto it = metadata.find(kScalerMetadataKey);
  if (it == metadata.end()) return data::Scaler();
  const std::string where = std::string(what) + ": metadata " + kScalerMetadataKey;
  return data::Scaler::from_json(parse_json(it->second, where), where);
}

void save_with_scaler(const Module& model, const data::Scaler& scaler, const std::filesystem::path& path,
                      SaveOptions options) {
  put_scaler(options.metadata, scaler);
  save(model, path, options);
}

ScaledModel load_with_scaler(const std::filesystem::path& path) {
  ScaledModel out{load_model(path), {}};
  out.scaler = scaler_from_metadata(out.model.metadata, path.string());
  return out;
}

}  // namespace nn::io
