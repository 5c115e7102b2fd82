#include "nn/io/checkpoint.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <system_error>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/json.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/layers/dropout.hpp"

namespace nn::io {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kModelPrefix = "model.";
constexpr const char* kOptimPrefix = "optim.";
// The checkpoint's own __metadata__ keys; the caller's entries may not use them.
const std::set<std::string>& own_keys() {
  static const std::set<std::string> keys{"format", "format_version", "state", "settings", "settings_hash"};
  return keys;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Doubles as JSON numbers (nlohmann prints the shortest text that reads back to the same bits);
// NaN and infinities, which JSON has not, as strings.
json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
double number_from(const json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    fail("expected a number, found \"", s, "\"");
  }
  NN_CHECK(j.is_number(), "expected a number, found ", short_dump(j));
  return j.get<double>();
}

json record_to_json(const train::EpochRecord& r) {
  return {{"epoch", r.epoch},
          {"train_loss", number(r.train_loss)},
          {"train_accuracy", number(r.train_accuracy)},
          {"val_loss", number(r.val_loss)},
          {"val_accuracy", number(r.val_accuracy)},
          {"lr", number(r.lr)},
          {"seconds", number(r.seconds)},
          {"samples_per_second", number(r.samples_per_second)},
          {"samples", r.samples}};
}

train::EpochRecord record_from_json(const json& j) {
  train::EpochRecord r;
  r.epoch = j.at("epoch").get<int64_t>();
  r.train_loss = number_from(j.at("train_loss"));
  r.train_accuracy = number_from(j.at("train_accuracy"));
  r.val_loss = number_from(j.at("val_loss"));
  r.val_accuracy = number_from(j.at("val_accuracy"));
  r.lr = number_from(j.at("lr"));
  r.seconds = number_from(j.at("seconds"));
  r.samples_per_second = number_from(j.at("samples_per_second"));
  r.samples = j.at("samples").get<int64_t>();
  return r;
}

json history_to_json(const train::History& h) {
  json epochs = json::array();
  for (const auto& r : h.epochs) epochs.push_back(record_to_json(r));
  const auto& p = h.partial;
  return {{"epochs", epochs},
          {"partial",
           {{"epoch", p.epoch},
            {"batches", p.batches},
            {"samples", p.samples},
            {"loss_sum", number(p.loss_sum)},
            {"correct", p.correct},
            {"train_seconds", number(p.train_seconds)}}},
          {"stop_reason", h.stop_reason}};
}

train::History history_from_json(const json& j) {
  train::History h;
  for (const json& r : j.at("epochs")) h.epochs.push_back(record_from_json(r));
  const json& p = j.at("partial");
  h.partial.epoch = p.at("epoch").get<int64_t>();
  h.partial.batches = p.at("batches").get<int64_t>();
  h.partial.samples = p.at("samples").get<int64_t>();
  h.partial.loss_sum = number_from(p.at("loss_sum"));
  h.partial.correct = p.at("correct").get<int64_t>();
  h.partial.train_seconds = number_from(p.at("train_seconds"));
  h.stop_reason = j.at("stop_reason").get<std::string>();
  return h;
}

// The RNG's spare normal is kept as its bit pattern, exact by construction.
json rng_to_json(const Rng::State& s) {
  return {{"s", s.s}, {"spare_bits", std::bit_cast<uint64_t>(s.spare)}, {"has_spare", s.has_spare}};
}
Rng::State rng_from_json(const json& j) {
  Rng::State s;
  s.s = j.at("s").get<std::array<uint64_t, 4>>();
  s.spare = std::bit_cast<double>(j.at("spare_bits").get<uint64_t>());
  s.has_spare = j.at("has_spare").get<bool>();
  return s;
}

// The __metadata__ of a checkpoint (everything but the tensors).
std::map<std::string, std::string> checkpoint_metadata(const CheckpointState& st) {
  std::map<std::string, std::string> meta;
  for (auto& [k, v] : st.metadata) {
    NN_CHECK(!own_keys().count(k), "save_checkpoint: metadata key '", k, "' is reserved for the checkpoint");
    meta[k] = v;
  }
  json rngs = json::object();
  for (auto& [name, s] : st.rngs) rngs[name] = rng_to_json(s);
  const json state = {{"epoch", st.epoch},
                      {"batch", st.batch},
                      {"step", st.step},
                      {"optimizer", {{"type", st.optimizer_type}, {"steps", st.optimizer_steps}}},
                      {"scheduler_epoch", st.scheduler_epoch},
                      {"rngs", rngs},
                      {"history", history_to_json(st.history)},
                      {"best", {{"monitor", st.monitor}, {"value", number(st.best)}, {"epoch", st.best_epoch}}}};
  meta["format"] = kCheckpointFormat;
  meta["format_version"] = std::to_string(kCheckpointFormatVersion);
  meta["state"] = state.dump();
  meta["settings"] = st.settings.dump();
  meta["settings_hash"] = hex64(settings_hash(st.settings));
  return meta;
}

using TensorRefs = std::vector<std::pair<std::string, const Tensor*>>;

void write_checkpoint(const fs::path& path, const std::map<std::string, std::string>& metadata,
                      const TensorRefs& tensors, const std::function<void(const fs::path&)>& before_rename) {
  AtomicFile file(path);
  write_safetensors(file, tensors, metadata);
  if (before_rename) before_rename(file.temporary_path());
  file.commit();
}

// The parameter names of the optimizer's parameters, by their place in the model.
std::vector<std::string> optimizer_param_names(Module& model, const Optimizer& optimizer) {
  std::vector<std::string> names;
  auto named = model.named_parameters();
  for (const Parameter* p : optimizer.params()) {
    std::string name;
    for (auto& [n, q] : named)
      if (q == p) name = n;
    NN_CHECK(!name.empty(), "checkpoint: the optimizer holds a parameter ('", p->name, "') that is not in the model");
    names.push_back(std::move(name));
  }
  return names;
}

// The model's parameters and buffers (BatchNorm's running statistics) by dotted name.
std::vector<std::pair<std::string, Tensor*>> model_tensors(Module& model) {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (auto& [name, p] : model.named_parameters()) out.emplace_back(name, &p->data);
  for (auto& [name, b] : model.named_buffers()) out.emplace_back(name, b);
  return out;
}

// The layers that own a random generator (Dropout's masks), as "dropout:<module path>".
void collect_rngs(Module& m, const std::string& path, std::vector<std::pair<std::string, Dropout*>>& out) {
  if (auto* d = dynamic_cast<Dropout*>(&m)) out.emplace_back("dropout:" + path, d);
  for (auto& [name, child] : m.children()) collect_rngs(*child, path.empty() ? name : path + "." + name, out);
}
std::vector<std::pair<std::string, Dropout*>> layer_rngs(Module& model) {
  std::vector<std::pair<std::string, Dropout*>> out;
  collect_rngs(model, "", out);
  return out;
}

void capture_rngs(std::map<std::string, Rng::State>& rngs, Module& model) {
  rngs.clear();
  rngs["global"] = global_rng().state();
  for (auto& [name, d] : layer_rngs(model)) rngs[name] = d->rng_state();
}

// Pointers to the live tensors of a training state, under their checkpoint names.
TensorRefs live_tensors(Module& model, Optimizer& optimizer) {
  TensorRefs out;
  for (auto& [name, t] : model_tensors(model)) out.emplace_back(kModelPrefix + name, t);
  const auto names = optimizer_param_names(model, optimizer);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto slots = optimizer.state(i);
    for (size_t k = 0; k < slots.size(); ++k)
      if (slots[k]->defined()) out.emplace_back(kOptimPrefix + names[i] + "." + std::to_string(k), slots[k]);
  }
  return out;
}

void flatten(const json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out[prefix.empty() ? "settings" : prefix] = j.is_string() ? j.get<std::string>() : j.dump();
  }
}

}  // namespace

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t settings_hash(const json& settings) {
  const std::string text = settings.dump();
  return fnv1a64(text.data(), text.size());
}

json json_float(float v) {
  if (!std::isfinite(v)) return number(v);
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  double d = 0.0;
  std::from_chars(buf, r.ptr, d);
  return d;
}

json optimizer_settings(const Optimizer& optimizer) {
  json j = {{"type", optimizer.type_name()}, {"lr", json_float(optimizer.initial_lr())}};
  if (auto* sgd = dynamic_cast<const SGD*>(&optimizer)) {
    const auto& o = sgd->options();
    j["momentum"] = json_float(o.momentum);
    j["dampening"] = json_float(o.dampening);
    j["weight_decay"] = json_float(o.weight_decay);
    j["nesterov"] = o.nesterov;
  } else if (auto* adam = dynamic_cast<const Adam*>(&optimizer)) {
    const auto& o = adam->options();
    j["beta1"] = json_float(o.beta1);
    j["beta2"] = json_float(o.beta2);
    j["eps"] = json_float(o.eps);
    j["weight_decay"] = json_float(o.weight_decay);
    j["amsgrad"] = o.amsgrad;
  }
  return j;
}

std::string settings_difference(const json& saved, const json& wanted) {
  if (saved == wanted) return {};
  std::map<std::string, std::string> a, b;
  flatten(saved, "", a);
  flatten(wanted, "", b);
  std::set<std::string> keys;
  for (auto& [k, v] : a) keys.insert(k);
  for (auto& [k, v] : b) keys.insert(k);
  std::string was, now;
  for (const auto& k : keys) {
    const auto ia = a.find(k), ib = b.find(k);
    const std::string va = ia == a.end() ? "(none)" : ia->second, vb = ib == b.end() ? "(none)" : ib->second;
    if (ia != a.end() && ib != b.end() && va == vb) continue;
    was += (was.empty() ? "" : ", ") + k + " " + va;
    now += (now.empty() ? "" : ", ") + k + " " + vb;
  }
  return "the checkpoint was trained with " + was + "; this run asks for " + now;
}

void check_resume_settings(const CheckpointState& checkpoint, const json& wanted, const std::string& where) {
  const std::string diff = settings_difference(checkpoint.settings, wanted);
  NN_CHECK(diff.empty(), "resume: ", where, ": ", diff);
}

void capture_training_state(CheckpointState& st, Module& model, Optimizer& optimizer, const Scheduler* scheduler) {
  st.model.clear();
  for (auto& [name, t] : model_tensors(model)) st.model.emplace_back(name, t->clone());
  st.optimizer.clear();
  st.optimizer_type = optimizer.type_name();
  st.optimizer_steps = optimizer.step_count();
  const auto names = optimizer_param_names(model, optimizer);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto slots = optimizer.state(i);
    for (size_t k = 0; k < slots.size(); ++k)
      if (slots[k]->defined()) st.optimizer.emplace_back(names[i] + "." + std::to_string(k), slots[k]->clone());
  }
  st.scheduler_epoch = scheduler != nullptr ? scheduler->epoch() : -1;
  capture_rngs(st.rngs, model);
}

void restore_training_state(const CheckpointState& st, Module& model, Optimizer& optimizer, Scheduler* scheduler) {
  NN_CHECK(st.optimizer_type == optimizer.type_name(), "restore: the checkpoint holds the state of a ",
           st.optimizer_type, " optimizer, not of ", optimizer.type_name());
  NN_CHECK((st.scheduler_epoch >= 0) == (scheduler != nullptr), "restore: the checkpoint was written ",
           st.scheduler_epoch >= 0 ? "with" : "without", " a scheduler, this run has ",
           scheduler != nullptr ? "one" : "none");
  // Check everything first, so that a refusal changes nothing.
  std::map<std::string, const Tensor*> optim;
  for (auto& [name, t] : st.optimizer) optim[name] = &t;
  const auto names = optimizer_param_names(model, optimizer);
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto slots = optimizer.state(i);
    const Tensor& param = optimizer.params()[i]->data;
    for (size_t k = 0; k < slots.size(); ++k) {
      const std::string key = names[i] + "." + std::to_string(k);
      auto it = optim.find(key);
      if (it == optim.end()) {
        copies.emplace_back(slots[k], nullptr);  // never sized: the optimizer had not stepped it
        continue;
      }
      NN_CHECK(it->second->shape() == param.shape(), "restore: optimizer state '", key, "': expected ",
               param.shape().str(), " like its parameter, found ", it->second->shape().str());
      copies.emplace_back(slots[k], it->second);
      optim.erase(it);
    }
  }
  NN_CHECK(optim.empty(), "restore: optimizer state '", optim.empty() ? "" : optim.begin()->first,
           "' belongs to no parameter of this model");
  const auto rngs = layer_rngs(model);
  for (auto& [name, s] : st.rngs) {
    bool known = name == "global";
    for (auto& [n, d] : rngs) known = known || n == name;
    NN_CHECK(known, "restore: the checkpoint has the state of random generator '", name,
             "', which this model does not have");
  }
  for (auto& [name, d] : rngs)
    NN_CHECK(st.rngs.count(name), "restore: the checkpoint has no state for random generator '", name, "'");
  // The model's parameters and buffers: every name present with its shape, nothing more.
  LoadReport report;
  std::map<std::string, const Tensor*> saved;
  for (auto& [name, t] : st.model) saved[name] = &t;
  for (auto& [name, target] : model_tensors(model)) {
    auto it = saved.find(name);
    if (it == saved.end()) {
      report.missing.push_back(name);
      continue;
    }
    if (!(it->second->shape() == target->shape()))
      report.mismatched.push_back(name + ": expected " + target->shape().str() + ", found " + it->second->shape().str());
    else
      copies.emplace_back(target, it->second);
    saved.erase(it);
  }
  for (auto& [name, t] : saved) report.unexpected.push_back(name);
  NN_CHECK(report.ok(), "restore: ", report.str());
  for (auto& [target, source] : copies) {
    if (source != nullptr)
      target->copy_from(*source);
    else
      *target = Tensor();
  }
  optimizer.set_step_count(st.optimizer_steps);
  if (scheduler != nullptr) scheduler->set_epoch(st.scheduler_epoch);
  if (auto it = st.rngs.find("global"); it != st.rngs.end()) global_rng().set_state(it->second);
  for (auto& [name, d] : rngs) d->set_rng_state(st.rngs.at(name));
}

void save_checkpoint(const fs::path& path, const CheckpointState& st,
                     const std::function<void(const fs::path&)>& before_rename) {
  TensorRefs tensors;
  for (auto& [name, t] : st.model) tensors.emplace_back(kModelPrefix + name, &t);
  for (auto& [name, t] : st.optimizer) tensors.emplace_back(kOptimPrefix + name, &t);
  write_checkpoint(path, checkpoint_metadata(st), tensors, before_rename);
}

bool is_checkpoint_file(const fs::path& path) {
  const SafetensorsFile f = read_safetensors(path);
  auto it = f.metadata.find("format");
  return it != f.metadata.end() && it->second == kCheckpointFormat;
}

fs::path resolve_checkpoint_path(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return CheckpointWriter::last_path(path);
  return path;
}

CheckpointState load_checkpoint(const fs::path& path) {
  const std::string where = path.string();
  std::error_code ec;
  NN_CHECK(fs::exists(path, ec), where, ": no such checkpoint file");
  SafetensorsFile file = read_safetensors(path);
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = file.metadata.find(key);
    NN_CHECK(it != file.metadata.end(), where, ": not an nn checkpoint: __metadata__ has no '", key, "'");
    return it->second;
  };
  NN_CHECK(get("format") == kCheckpointFormat, where, ": expected format '", kCheckpointFormat, "', found '",
           get("format"), "'");
  NN_CHECK(get("format_version") == std::to_string(kCheckpointFormatVersion), where, ": checkpoint format version '",
           get("format_version"), "' is not supported (this nn reads version ", kCheckpointFormatVersion, ")");
  CheckpointState st;
  std::string field = "settings";
  try {
    st.settings = parse_json(get("settings"), "settings");
    NN_CHECK(get("settings_hash") == hex64(settings_hash(st.settings)), "the settings hash ", get("settings_hash"),
             " does not match the settings (", hex64(settings_hash(st.settings)), ")");
    field = "state";
    const json s = parse_json(get("state"), "state");
    st.epoch = s.at("epoch").get<int64_t>();
    st.batch = s.at("batch").get<int64_t>();
    st.step = s.at("step").get<int64_t>();
    NN_CHECK(st.epoch >= 0 && st.batch >= 0 && st.step >= 0, "negative epoch, batch or step");
    field = "state.optimizer";
    st.optimizer_type = s.at("optimizer").at("type").get<std::string>();
    st.optimizer_steps = s.at("optimizer").at("steps").get<int64_t>();
    field = "state.scheduler_epoch";
    st.scheduler_epoch = s.at("scheduler_epoch").get<int64_t>();
    field = "state.rngs";
    for (auto& [name, r] : s.at("rngs").items()) st.rngs[name] = rng_from_json(r);
    field = "state.history";
    st.history = history_from_json(s.at("history"));
    field = "state.best";
    st.monitor = s.at("best").at("monitor").get<std::string>();
    st.best = number_from(s.at("best").at("value"));
    st.best_epoch = s.at("best").at("epoch").get<int64_t>();
  } catch (const json::exception& e) {
    fail(where, ": bad checkpoint ", field, ": ", e.what());
  } catch (const Error& e) {
    fail(where, ": bad checkpoint ", field, ": ", e.what());
  }
  for (auto& [k, v] : file.metadata)
    if (!own_keys().count(k)) st.metadata[k] = v;
  for (auto& [name, t] : file.tensors) {
    if (name.starts_with(kModelPrefix)) {
      st.model.emplace_back(name.substr(6), std::move(t));
    } else if (name.starts_with(kOptimPrefix)) {
      st.optimizer.emplace_back(name.substr(6), std::move(t));
    } else {
      fail(where, ": tensor '", name, "' is neither model. nor optim. state");
    }
  }
  return st;
}

// ---- CheckpointWriter ------------------------------------------------------------------------------

CheckpointWriter::CheckpointWriter(CheckpointWriterOptions options) : options_(std::move(options)) {
  NN_CHECK(!options_.dir.empty(), "CheckpointWriter: expected a folder");
  NN_CHECK(options_.every_batches >= 0, "CheckpointWriter: expected every_batches >= 0, found ",
           options_.every_batches);
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  NN_CHECK(fs::is_directory(options_.dir), options_.dir.string(), ": cannot create the checkpoint folder",
           ec ? ": " + ec.message() : std::string());
  // Temporary files of saves that a killed process left behind (AtomicFile's ".NAME.tmp.XXXXXX").
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".last.safetensors.tmp.") || name.starts_with(".best.safetensors.tmp."))
      fs::remove(entry.path(), ec);
  }
}

void CheckpointWriter::set_best(double value, int64_t epoch) {
  best_ = value;
  best_epoch_ = epoch;
}

void CheckpointWriter::on_train_begin(const train::TrainBegin& info) {
  model_ = &info.model;
  optimizer_ = &info.optimizer;
  scheduler_ = info.scheduler;
  history_ = &info.history;
  batches_per_epoch_ = info.batches_per_epoch;
  monitor_ = options_.monitor.empty() ? (info.has_validation ? "val_loss" : "train_loss") : options_.monitor;
  train::History::value(train::EpochRecord{}, monitor_);  // nn::Error for an unknown name
  maximize_ = monitor_.find("accuracy") != std::string::npos;
}

void CheckpointWriter::on_batch_end(const train::BatchEnd& b) {
  if (options_.every_batches <= 0 || b.step % options_.every_batches != 0) return;
  if (b.batch + 1 == b.batches_per_epoch) return;  // the epoch end writes this one
  write(last_path(options_.dir), b.epoch, b.batch + 1, b.step, b.history);
}

void CheckpointWriter::on_epoch_end(int64_t epoch, const train::EpochRecord& record) {
  const double v = train::History::value(record, monitor_);
  const bool improved =
      !std::isnan(v) && (std::isnan(best_) || (maximize_ ? v > best_ : v < best_));
  if (improved) set_best(v, epoch);
  const int64_t step = (epoch + 1) * batches_per_epoch_;
  write(last_path(options_.dir), epoch + 1, 0, step, *history_);
  if (improved) write(best_path(options_.dir), epoch + 1, 0, step, *history_);
}

void CheckpointWriter::write(const fs::path& path, int64_t epoch, int64_t batch, int64_t step,
                             const train::History& history) {
  NN_CHECK(model_ != nullptr, "CheckpointWriter: on_train_begin was not called");
  CheckpointState st;
  st.optimizer_type = optimizer_->type_name();
  st.optimizer_steps = optimizer_->step_count();
  st.scheduler_epoch = scheduler_ != nullptr ? scheduler_->epoch() : -1;
  st.epoch = epoch;
  st.batch = batch;
  st.step = step;
  capture_rngs(st.rngs, *model_);
  st.history = history;
  st.history.stop_reason.clear();
  if (batch == 0) st.history.partial = train::EpochTotals{};
  st.monitor = monitor_;
  st.best = best_;
  st.best_epoch = best_epoch_;
  st.settings = options_.settings;
  st.metadata = options_.metadata;
  std::function<void(const fs::path&)> hook;
  if (options_.before_rename) hook = [&](const fs::path& tmp) { options_.before_rename(tmp, st); };
  write_checkpoint(path, checkpoint_metadata(st), live_tensors(*model_, *optimizer_), hook);
  ++writes_;
  if (options_.after_write) options_.after_write(path, st);
}

}  // namespace nn::io
