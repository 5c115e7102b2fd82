#include "nn/io/state_binding.hpp"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "nn/error.hpp"

namespace nn::io {

namespace {

// At most 20 items (a crafted file may bring 200,000 unexpected keys), then how many more.
std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (size_t k = 0; k < items.size() && k < 20; ++k) s += (s.empty() ? "" : ", ") + items[k].substr(0, 80);
  if (items.size() > 20) s += " and " + std::to_string(items.size() - 20) + " more";
  return s;
}

}  // namespace

std::string LoadReport::str() const {
  if (ok()) return "All keys matched successfully";
  std::string s;
  if (!missing.empty()) s += "missing keys: " + join(missing);
  if (!unexpected.empty()) s += std::string(s.empty() ? "" : "; ") + "unexpected keys: " + join(unexpected);
  if (!mismatched.empty()) s += std::string(s.empty() ? "" : "; ") + "shape mismatches: " + join(mismatched);
  return s;
}

std::vector<std::pair<std::string, Tensor*>> named_tensors(Module& module) {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (auto& [name, p] : module.named_parameters()) out.emplace_back(name, &p->data);
  for (auto& [name, b] : module.named_buffers()) out.emplace_back(name, b);
  return out;
}

namespace {
void infer_sizes(Module& m, const std::string& prefix, const std::unordered_map<std::string_view, const Tensor*>& by_name) {
  for (auto& [name, p] : m.named_parameters()) {
    if (name.find('.') != std::string::npos) continue;  // a child's, reached below
    const auto it = by_name.find(prefix + name);
    if (it != by_name.end() && !(it->second->shape() == p->data.shape())) m.infer_from_saved(name, it->second->shape());
  }
  for (auto& [name, child] : m.children()) infer_sizes(*child, prefix + name + ".", by_name);
}
}  // namespace

void infer_deferred_sizes(Module& module, const StateDict& dict) {
  std::unordered_map<std::string_view, const Tensor*> by_name;
  by_name.reserve(dict.size());
  for (const auto& [name, t] : dict) by_name.emplace(name, &t);
  infer_sizes(module, "", by_name);
}

std::vector<BindTarget> module_targets(Module& module) {
  std::vector<BindTarget> out;
  for (auto& [name, t] : named_tensors(module)) out.push_back(BindTarget{name, t, t->shape(), false});
  return out;
}

TensorBinding::TensorBinding(std::vector<BindTarget> targets, const StateDict& sources, std::string_view what) {
  std::unordered_map<std::string_view, const Tensor*> by_name;
  by_name.reserve(sources.size());
  for (const auto& [name, t] : sources)
    NN_CHECK(by_name.emplace(name, &t).second, what, ": '", name, "' is given twice");
  std::unordered_set<std::string_view> bound;
  bound.reserve(targets.size());
  copies_.reserve(targets.size());
  for (const BindTarget& target : targets) {
    NN_CHECK(bound.insert(target.name).second, what, ": '", target.name, "' is given twice");
    auto it = by_name.find(target.name);
    if (it == by_name.end()) {
      if (target.optional)
        copies_.emplace_back(target.tensor, nullptr);
      else
        report_.missing.push_back(target.name);
    } else if (!(it->second->shape() == target.shape)) {
      report_.mismatched.push_back(target.name + ": expected " + target.shape.str() + ", found " +
                                   it->second->shape().str());
    } else {
      copies_.emplace_back(target.tensor, it->second);
    }
  }
  for (const auto& [name, t] : sources)
    if (!bound.count(name)) report_.unexpected.push_back(name);
}

void TensorBinding::apply() const {
  for (auto& [target, source] : copies_) {
    if (source != nullptr)
      target->copy_from(*source, target->device());  // a model on a GPU takes the file's values there
    else
      *target = Tensor();
  }
}

void require_finite(const std::vector<std::pair<std::string, const Tensor*>>& tensors, std::string_view where,
                    std::string_view why) {
  for (const auto& [name, t] : tensors) {
    std::vector<float> host;  // a GPU's tensor is checked on a host copy
    if (t->is_cuda()) host = t->to_vector();
    const float* v = t->is_cuda() ? host.data() : t->data();
    for (int64_t i = 0; i < t->numel(); ++i)
      if (!std::isfinite(v[i]))
        fail(where, ": tensor '", name, "' holds ", std::isnan(v[i]) ? "nan" : (v[i] > 0 ? "inf" : "-inf"),
             " at index ", i, "; ", why);
  }
}

}  // namespace nn::io
