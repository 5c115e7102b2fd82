#include "nn/report/metrics_file.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/json.hpp"

namespace nn::report {

using json = nlohmann::json;

std::string metrics_jsonl(const train::History& history) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  std::string out;
  for (const auto& r : history.epochs) {
    json j = {{"epoch", r.epoch + 1},         {"train_loss", num(r.train_loss)}, {"train_accuracy", num(r.train_accuracy)},
              {"val_loss", num(r.val_loss)},  {"val_accuracy", num(r.val_accuracy)},
              {"lr", num(r.lr)},              {"seconds", num(r.seconds)},      {"samples_per_second", num(r.samples_per_second)}};
    if (r.samples > 0) j["samples"] = r.samples;
    out += j.dump() + "\n";
  }
  return out;
}

train::History parse_metrics_jsonl(std::string_view text, std::string_view what) {
  train::History h;
  std::istringstream in{std::string(text)};
  std::string line;
  int64_t number = 0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json j = io::parse_json(line, detail::concat(what, ": line ", number));
    NN_CHECK(j.is_object() && j.contains("epoch") && j["epoch"].is_number_integer(), what, ": line ", number,
             ": expected an object with an integer \"epoch\"");
    auto get = [&](const char* key) {
      auto it = j.find(key);
      return it != j.end() && it->is_number() ? it->get<double>() : nan;
    };
    train::EpochRecord r;
    r.epoch = j["epoch"].get<int64_t>() - 1;
    r.train_loss = get("train_loss");
    r.train_accuracy = get("train_accuracy");
    r.val_loss = get("val_loss");
    r.val_accuracy = get("val_accuracy");
    r.lr = get("lr");
    r.seconds = get("seconds");
    r.samples_per_second = get("samples_per_second");
    if (auto it = j.find("samples"); it != j.end() && it->is_number_integer()) r.samples = it->get<int64_t>();
    h.epochs.push_back(r);
  }
  return h;
}

train::History read_metrics_jsonl(const std::filesystem::path& path) {
  const std::string text = io::read_file(path, io::kMaxTextFileBytes, path.string());
  return parse_metrics_jsonl(text, path.string());
}

}  // namespace nn::report
