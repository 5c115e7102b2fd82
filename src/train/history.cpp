#include "nn/train/history.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "nn/error.hpp"

namespace nn::train {

bool EpochRecord::has_validation() const { return !std::isnan(val_loss); }

const std::vector<std::string>& History::metric_names() {
  static const std::vector<std::string> names{"train_loss", "train_accuracy", "val_loss",
                                              "val_accuracy", "lr", "seconds", "samples_per_second"};
  return names;
}

double History::value(const EpochRecord& r, std::string_view name) {
  if (name == "train_loss" || name == "loss") return r.train_loss;
  if (name == "train_accuracy" || name == "accuracy") return r.train_accuracy;
  if (name == "val_loss") return r.val_loss;
  if (name == "val_accuracy") return r.val_accuracy;
  if (name == "lr") return r.lr;
  if (name == "seconds") return r.seconds;
  if (name == "samples_per_second") return r.samples_per_second;
  std::string known;
  for (const auto& n : metric_names()) known += (known.empty() ? "" : ", ") + n;
  fail("History: unknown metric '", name, "', expected one of ", known);
}

std::vector<double> History::series(std::string_view name) const {
  std::vector<double> out;
  out.reserve(epochs.size());
  for (const auto& r : epochs) out.push_back(value(r, name));
  return out;
}

// ---- JSON ----------------------------------------------------------------------------------------

namespace {

using json = nlohmann::json;

const json& member(const json& j, const char* key, const std::string& where) {
  NN_CHECK(j.is_object(), where, ": expected a JSON object, found ", j.dump());
  auto it = j.find(key);
  NN_CHECK(it != j.end(), where, ": expected \"", key, "\", found none");
  return *it;
}

int64_t integer(const json& j, const char* key, const std::string& where) {
  const json& v = member(j, key, where);
  NN_CHECK(v.is_number_integer(), where, ": expected an integer \"", key, "\", found ", v.dump());
  return v.get<int64_t>();
}

double figure(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return std::numeric_limits<double>::quiet_NaN();
  return figure_from_json(*it, where + ": \"" + key + "\"");
}

}  // namespace

json figure_to_json(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

double figure_from_json(const json& j, const std::string& where) {
  if (j.is_number()) return j.get<double>();
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (j.is_string()) {  // the spelling of files written before non-finite figures became null
    const auto& s = j.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  fail(where, ": expected a number or null, found ", j.dump());
}

json to_json(const EpochRecord& r, int64_t first_epoch) {
  return {{"epoch", r.epoch + first_epoch},
          {"train_loss", figure_to_json(r.train_loss)},
          {"train_accuracy", figure_to_json(r.train_accuracy)},
          {"val_loss", figure_to_json(r.val_loss)},
          {"val_accuracy", figure_to_json(r.val_accuracy)},
          {"lr", figure_to_json(r.lr)},
          {"seconds", figure_to_json(r.seconds)},
          {"samples_per_second", figure_to_json(r.samples_per_second)},
          {"samples", r.samples}};
}

EpochRecord epoch_record_from_json(const json& j, const std::string& where, int64_t first_epoch) {
  EpochRecord r;
  r.epoch = integer(j, "epoch", where) - first_epoch;
  NN_CHECK(r.epoch >= 0, where, ": expected an epoch >= ", first_epoch, ", found ", r.epoch + first_epoch);
  r.train_loss = figure(j, "train_loss", where);
  r.train_accuracy = figure(j, "train_accuracy", where);
  r.val_loss = figure(j, "val_loss", where);
  r.val_accuracy = figure(j, "val_accuracy", where);
  r.lr = figure(j, "lr", where);
  r.seconds = figure(j, "seconds", where);
  r.samples_per_second = figure(j, "samples_per_second", where);
  if (j.contains("samples")) {
    r.samples = integer(j, "samples", where);
    NN_CHECK(r.samples >= 0, where, ": expected \"samples\" >= 0, found ", r.samples);
  }
  return r;
}

json to_json(const EpochTotals& t) {
  return {{"epoch", t.epoch},
          {"batches", t.batches},
          {"samples", t.samples},
          {"loss_sum", figure_to_json(t.loss_sum)},
          {"correct", t.correct},
          {"train_seconds", figure_to_json(t.train_seconds)}};
}

EpochTotals epoch_totals_from_json(const json& j, const std::string& where) {
  EpochTotals t;
  t.epoch = integer(j, "epoch", where);
  t.batches = integer(j, "batches", where);
  t.samples = integer(j, "samples", where);
  t.loss_sum = figure_from_json(member(j, "loss_sum", where), where + ": \"loss_sum\"");
  t.correct = integer(j, "correct", where);
  t.train_seconds = figure_from_json(member(j, "train_seconds", where), where + ": \"train_seconds\"");
  return t;
}

json to_json(const History& h) {
  json epochs = json::array();
  for (const auto& r : h.epochs) epochs.push_back(to_json(r));
  return {{"epochs", std::move(epochs)}, {"partial", to_json(h.partial)}, {"stop_reason", h.stop_reason}};
}

History history_from_json(const json& j, const std::string& where) {
  History h;
  const json& epochs = member(j, "epochs", where);
  NN_CHECK(epochs.is_array(), where, ": expected \"epochs\" to be a list, found ", epochs.dump());
  for (size_t i = 0; i < epochs.size(); ++i)
    h.epochs.push_back(epoch_record_from_json(epochs[i], where + ": epochs[" + std::to_string(i) + "]"));
  h.partial = epoch_totals_from_json(member(j, "partial", where), where + ": partial");
  const json& reason = member(j, "stop_reason", where);
  NN_CHECK(reason.is_string(), where, ": expected \"stop_reason\" to be text, found ", reason.dump());
  h.stop_reason = reason.get<std::string>();
  return h;
}

}  // namespace nn::train
