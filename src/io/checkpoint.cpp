#include "nn/io/checkpoint.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "nn/error.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/checkpoint_writer.hpp"
#include "nn/io/json.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/io/state_binding.hpp"

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

// The RNG's spare normal is kept as its bit pattern, exact by construction.
json rng_to_json(const Rng::State& s) {
  return {{"s", s.s}, {"spare_bits", std::bit_cast<uint64_t>(s.spare)}, {"has_spare", s.has_spare}};
}
// An integer field: a JSON integer only. nlohmann converts any number with a cast, and a cast of
// 9e21 to an integer type is undefined (the fuzzer found this on a checkpoint's state).
int64_t int_field(const json& j, const char* key, const std::string& where) {
  const json& v = j.at(key);
  NN_CHECK(v.is_number_integer() && (!v.is_number_unsigned() || v.get<uint64_t>() <= uint64_t{INT64_MAX}), where, ".",
           key, ": expected an integer, found ", short_dump(v));
  return v.get<int64_t>();
}

uint64_t u64_field(const json& j, const std::string& where) {
  NN_CHECK(j.is_number_unsigned(), where, ": expected an unsigned integer, found ", short_dump(j));
  return j.get<uint64_t>();
}

Rng::State rng_from_json(const json& j, const std::string& name) {
  Rng::State s;
  const std::string where = "state.rngs." + name;
  const json& words = j.at("s");
  NN_CHECK(words.is_array() && words.size() == 4, where, ".s: expected 4 unsigned integers, found ", short_dump(words));
  for (size_t k = 0; k < 4; ++k) s.s[k] = u64_field(words[k], where + ".s");
  s.spare = std::bit_cast<double>(u64_field(j.at("spare_bits"), where + ".spare_bits"));
  NN_CHECK(j.at("has_spare").is_boolean(), where, ".has_spare: expected true or false, found ", short_dump(j.at("has_spare")));
  s.has_spare = j.at("has_spare").get<bool>();
  // xoshiro256** never leaves the all-zero state: such a generator would give zeros forever.
  NN_CHECK(s.s[0] != 0 || s.s[1] != 0 || s.s[2] != 0 || s.s[3] != 0, "state.rngs.", name,
           ": expected a generator state, found all zeros (a generator in that state only ever gives 0)");
  NN_CHECK(!s.has_spare || std::isfinite(s.spare), "state.rngs.", name, ": expected a finite spare normal, found ",
           s.spare);
  return s;
}

// The __metadata__ of a checkpoint (everything but the tensors). Figures follow History's JSON
// rule (non-finite: null); checkpoints written before it spelled them "nan", and still read.
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
                      {"history", train::to_json(st.history)},
                      {"best",
                       {{"monitor", st.monitor}, {"value", train::figure_to_json(st.best)}, {"epoch", st.best_epoch}}}};
  meta["format"] = kCheckpointFormat;
  meta["format_version"] = std::to_string(kCheckpointFormatVersion);
  meta["state"] = state.dump(-1, ' ', false, json::error_handler_t::replace);
  meta["settings"] = st.settings->dump(-1, ' ', false, json::error_handler_t::replace);
  meta["settings_hash"] = hex64(settings_hash(st.settings));
  return meta;
}

using TensorRefs = std::vector<std::pair<std::string, const Tensor*>>;

void write_checkpoint(const fs::path& path, const std::map<std::string, std::string>& metadata,
                      const TensorRefs& tensors, const std::function<void(const fs::path&)>& before_rename) {
  require_finite(tensors, "checkpoint: " + path.string(),
                 "refusing to write a checkpoint of a diverged state (it would resume into the divergence)");
  AtomicFile file(path);
  write_safetensors(file, tensors, metadata);
  if (before_rename) before_rename(file.temporary_path());
  file.commit();
}

// The names of the optimizer's parameters, by their place in the model.
std::vector<std::string> optimizer_param_names(Module& model, const Optimizer& optimizer) {
  std::unordered_map<const Parameter*, std::string> named;
  for (auto& [n, p] : model.named_parameters()) named.emplace(p, n);
  std::vector<std::string> names;
  names.reserve(optimizer.params().size());
  for (const Parameter* p : optimizer.params()) {
    auto it = named.find(p);
    NN_CHECK(it != named.end(), "checkpoint: the optimizer holds a parameter ('", p->name,
             "') that is not in the model");
    names.push_back(it->second);
  }
  return names;
}

// "<parameter name>.<k>": the name of state slot k of a parameter.
std::string slot_name(const std::string& param, size_t k) { return param + "." + std::to_string(k); }

// The model's random generators (Module::named_rngs) under their checkpoint keys. A layer's
// generator named "rng" is stored as "<spec name>:<module path>" ("dropout:3" for the stream
// "3.rng"), the key every checkpoint so far has used; any other generator under its dotted name.
void collect_rngs(Module& m, const std::string& path, std::vector<std::pair<std::string, Rng*>>& out) {
  for (auto& [name, rng] : m.named_rngs()) {
    if (name.find('.') != std::string::npos) continue;  // a child's, collected below
    if (name == "rng" && !m.spec_name().empty())
      out.emplace_back(m.spec_name() + ":" + path, rng);
    else
      out.emplace_back(path.empty() ? name : path + "." + name, rng);
  }
  for (auto& [name, child] : m.children()) collect_rngs(*child, path.empty() ? name : path + "." + name, out);
}
std::vector<std::pair<std::string, Rng*>> layer_rngs(Module& model) {
  std::vector<std::pair<std::string, Rng*>> out;
  collect_rngs(model, "", out);
  return out;
}

void capture_rngs(std::map<std::string, Rng::State>& rngs, Module& model) {
  rngs.clear();
  rngs["global"] = global_rng().state();
  for (auto& [name, r] : layer_rngs(model)) rngs[name] = r->state();
}

// The optimizer, scheduler and RNG parts of a training state (no tensors).
void capture_position(CheckpointState& st, Module& model, const Optimizer& optimizer, const Scheduler* scheduler) {
  st.optimizer_type = optimizer.type_name();
  st.optimizer_steps = optimizer.step_count();
  st.scheduler_epoch = scheduler != nullptr ? scheduler->epoch() : -1;
  capture_rngs(st.rngs, model);
}

// Pointers to the live tensors of a training state, under their checkpoint names.
TensorRefs live_tensors(Module& model, Optimizer& optimizer) {
  TensorRefs out;
  for (auto& [name, t] : named_tensors(model)) out.emplace_back(kModelPrefix + name, t);
  const auto names = optimizer_param_names(model, optimizer);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto slots = optimizer.state(i);
    for (size_t k = 0; k < slots.size(); ++k)
      if (slots[k]->defined()) out.emplace_back(kOptimPrefix + slot_name(names[i], k), slots[k]);
  }
  return out;
}

void flatten(const json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out[prefix.empty() ? "settings" : prefix] = j.is_string() ? j.get<std::string>() : j.dump(-1, ' ', false, json::error_handler_t::replace);
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
  const std::string text = settings.dump(-1, ' ', false, json::error_handler_t::replace);
  return fnv1a64(text.data(), text.size());
}

json optimizer_settings(const Optimizer& optimizer) { return optimizer.settings(); }

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
  for (auto& [name, t] : named_tensors(model)) st.model.emplace_back(name, t->clone());
  st.optimizer.clear();
  const auto names = optimizer_param_names(model, optimizer);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto slots = optimizer.state(i);
    for (size_t k = 0; k < slots.size(); ++k)
      if (slots[k]->defined()) st.optimizer.emplace_back(slot_name(names[i], k), slots[k]->clone());
  }
  capture_position(st, model, optimizer, scheduler);
}

void restore_training_state(const CheckpointState& st, Module& model, Optimizer& optimizer, Scheduler* scheduler) {
  NN_CHECK(st.optimizer_type == optimizer.type_name(), "restore: the checkpoint holds the state of a ",
           st.optimizer_type, " optimizer, not of ", optimizer.type_name());
  NN_CHECK((st.scheduler_epoch >= 0) == (scheduler != nullptr), "restore: the checkpoint was written ",
           st.scheduler_epoch >= 0 ? "with" : "without", " a scheduler, this run has ",
           scheduler != nullptr ? "one" : "none");
  // Check everything first, so that a refusal changes nothing. The model's parameters and buffers:
  // every name present with its shape, nothing more.
  const TensorBinding weights(module_targets(model), st.model, "restore: the model");
  NN_CHECK(weights.report().ok(), "restore: ", weights.report().str());
  // The optimizer's state: shaped like its parameter; a slot the checkpoint lacks had never been
  // sized (the optimizer had not stepped that parameter), so it is emptied.
  std::vector<BindTarget> slots;
  const auto names = optimizer_param_names(model, optimizer);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto state = optimizer.state(i);
    for (size_t k = 0; k < state.size(); ++k)
      slots.push_back(BindTarget{slot_name(names[i], k), state[k], optimizer.params()[i]->data.shape(), true});
  }
  const TensorBinding optim(std::move(slots), st.optimizer, "restore: the optimizer state");
  NN_CHECK(optim.report().ok(), "restore: optimizer state: ", optim.report().str());
  const auto rngs = layer_rngs(model);
  std::set<std::string> known{"global"};
  for (auto& [name, d] : rngs) known.insert(name);
  for (auto& [name, s] : st.rngs)
    NN_CHECK(known.count(name), "restore: the checkpoint has the state of random generator '", name,
             "', which this model does not have");
  for (auto& [name, d] : rngs)
    NN_CHECK(st.rngs.count(name), "restore: the checkpoint has no state for random generator '", name, "'");

  weights.apply();
  optim.apply();
  optimizer.set_step_count(st.optimizer_steps);
  if (scheduler != nullptr) scheduler->set_epoch(st.scheduler_epoch);
  if (auto it = st.rngs.find("global"); it != st.rngs.end()) global_rng().set_state(it->second);
  for (auto& [name, r] : rngs) r->set_state(st.rngs.at(name));
}

void save_checkpoint(const fs::path& path, const CheckpointState& st,
                     const std::function<void(const fs::path&)>& before_rename) {
  TensorRefs tensors;
  for (auto& [name, t] : st.model) tensors.emplace_back(kModelPrefix + name, &t);
  for (auto& [name, t] : st.optimizer) tensors.emplace_back(kOptimPrefix + name, &t);
  write_checkpoint(path, checkpoint_metadata(st), tensors, before_rename);
}

void save_live_checkpoint(const fs::path& path, CheckpointState& st, Module& model, Optimizer& optimizer,
                          const Scheduler* scheduler, const std::function<void(const fs::path&)>& before_rename) {
  capture_position(st, model, optimizer, scheduler);
  write_checkpoint(path, checkpoint_metadata(st), live_tensors(model, optimizer), before_rename);
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
    NN_CHECK(get("settings_hash") == hex64(settings_hash(st.settings)), "settings: the settings hash ",
             get("settings_hash"), " does not match the settings (", hex64(settings_hash(st.settings)), ")");
    field = "state";
    const json s = parse_json(get("state"), "state");
    st.epoch = int_field(s, "epoch", "state");
    st.batch = int_field(s, "batch", "state");
    st.step = int_field(s, "step", "state");
    NN_CHECK(st.epoch >= 0 && st.batch >= 0 && st.step >= 0, "state: expected epoch, batch and step >= 0, found ",
             st.epoch, ", ", st.batch, " and ", st.step);
    field = "state.optimizer";
    st.optimizer_type = s.at("optimizer").at("type").get<std::string>();
    st.optimizer_steps = int_field(s.at("optimizer"), "steps", "state.optimizer");
    NN_CHECK(st.optimizer_steps >= 0, "state.optimizer.steps: expected a count >= 0, found ", st.optimizer_steps);
    field = "state.scheduler_epoch";
    st.scheduler_epoch = int_field(s, "scheduler_epoch", "state");
    NN_CHECK(st.scheduler_epoch >= -1, "state.scheduler_epoch: expected an epoch >= 0 (or -1: no scheduler), found ",
             st.scheduler_epoch);
    field = "state.rngs";
    for (auto& [name, r] : s.at("rngs").items()) st.rngs[name] = rng_from_json(r, name);
    field = "state.history";
    st.history = train::history_from_json(s.at("history"), "state.history");
    field = "state.best";
    st.monitor = s.at("best").at("monitor").get<std::string>();
    st.best = train::figure_from_json(s.at("best").at("value"), "state.best.value");
    st.best_epoch = int_field(s.at("best"), "epoch", "state.best");
    NN_CHECK(st.best_epoch >= -1, "state.best.epoch: expected an epoch >= 0 (or -1: none yet), found ", st.best_epoch);
  } catch (const json::exception& e) {
    fail(where, ": bad checkpoint ", field, ": ", e.what());
  } catch (const Error& e) {  // its message names the field
    fail(where, ": bad checkpoint ", e.what());
  }
  for (auto& [k, v] : file.metadata)
    if (!own_keys().count(k)) st.metadata[k] = v;
  for (auto& [name, t] : file.tensors) {
    if (name.starts_with(kModelPrefix)) {
      st.model.emplace_back(name.substr(std::string_view(kModelPrefix).size()), std::move(t));
    } else if (name.starts_with(kOptimPrefix)) {
      st.optimizer.emplace_back(name.substr(std::string_view(kOptimPrefix).size()), std::move(t));
    } else {
      fail(where, ": tensor '", name, "' is neither model. nor optim. state");
    }
  }
  return st;
}

}  // namespace nn::io
