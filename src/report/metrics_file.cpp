#include "nn/report/metrics_file.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/input_file.hpp"
#include "nn/io/json.hpp"

namespace nn::report {

using json = nlohmann::json;

std::string metrics_jsonl(const train::History& history) {
  std::string out;
  for (const auto& r : history.epochs) out += train::to_json(r, 1).dump() + "\n";
  return out;
}

train::History parse_metrics_jsonl(std::string_view text, std::string_view what) {
  train::History h;
  std::istringstream in{std::string(text)};
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = std::string(what) + ": line " + std::to_string(number);
    h.epochs.push_back(train::epoch_record_from_json(io::parse_json(line, where), where, 1));
  }
  return h;
}

train::History read_metrics_jsonl(const std::filesystem::path& path) {
  const std::string text = io::read_file(path, io::kMaxTextFileBytes, path.string());
  return parse_metrics_jsonl(text, path.string());
}

}  // namespace nn::report
