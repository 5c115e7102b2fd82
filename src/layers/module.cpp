#include "nn/layers/module.hpp"

#include <charconv>
#include <utility>

#include <nlohmann/json.hpp>

#include "cuda/runtime.hpp"
#include "nn/error.hpp"

namespace nn {

// The mutable overloads hand out the const ones' pointers without const: they are called on a
// mutable module, which owns what they point to.
std::vector<Parameter*> Module::parameters() {
  std::vector<Parameter*> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

std::vector<const Parameter*> Module::parameters() const {
  std::vector<const Parameter*> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

std::vector<std::pair<std::string, Parameter*>> Module::named_parameters() {
  std::vector<std::pair<std::string, Parameter*>> out;
  for (auto& [name, p] : std::as_const(*this).named_parameters()) out.emplace_back(name, const_cast<Parameter*>(p));
  return out;
}

std::vector<std::pair<std::string, const Parameter*>> Module::named_parameters() const {
  std::vector<std::pair<std::string, const Parameter*>> out;
  collect("", out);
  return out;
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, const Parameter*>>& out) const {
  for (auto& p : params_) out.emplace_back(prefix + p->name, p.get());
  for (auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<Tensor*> Module::buffers() {
  std::vector<Tensor*> out;
  for (auto& [name, b] : named_buffers()) out.push_back(b);
  return out;
}

std::vector<const Tensor*> Module::buffers() const {
  std::vector<const Tensor*> out;
  for (auto& [name, b] : named_buffers()) out.push_back(b);
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Module::named_buffers() {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (auto& [name, b] : std::as_const(*this).named_buffers()) out.emplace_back(name, const_cast<Tensor*>(b));
  return out;
}

std::vector<std::pair<std::string, const Tensor*>> Module::named_buffers() const {
  std::vector<std::pair<std::string, const Tensor*>> out;
  collect_buffers("", out);
  return out;
}

void Module::collect_buffers(const std::string& prefix, std::vector<std::pair<std::string, const Tensor*>>& out) const {
  for (auto& b : buffers_) out.emplace_back(prefix + b->name, &b->data);
  for (auto& [name, child] : children_) child->collect_buffers(prefix + name + ".", out);
}

std::vector<std::pair<std::string, Rng*>> Module::named_rngs() {
  std::vector<std::pair<std::string, Rng*>> out;
  collect_rngs("", out);
  return out;
}

void Module::collect_rngs(const std::string& prefix, std::vector<std::pair<std::string, Rng*>>& out) {
  for (auto& r : rngs_) out.emplace_back(prefix + r->name, &r->rng);
  for (auto& [name, child] : children_) child->collect_rngs(prefix + name + ".", out);
}

void Module::zero_grad() {
  for (Parameter* p : parameters()) p->grad.zero();
}

Module& Module::to(Device device) {
  if (device.is_cuda()) cuda::detail::set_device(device.index());  // fails before anything moved
  for (auto& p : params_) {
    p->data.to_(device);
    p->grad.to_(device);
  }
  for (auto& b : buffers_) b->data.to_(device);
  device_ = device;
  for (auto& [name, child] : children_) child->to(device);
  return *this;
}

bool Module::graph_capturable() const {
  for (auto& [name, child] : children_)
    if (!child->graph_capturable()) return false;
  return true;
}

void Module::train(bool on) {
  training_ = on;
  on_train_changed();
  for (auto& [name, child] : children_) child->train(on);
}

Parameter& Module::register_parameter(std::string name, Tensor data) {
  NN_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(),
           ": a parameter's name must be non-empty and without '.', found '", name, "'");
  for (auto& p : params_)
    NN_CHECK(p->name != name, type_name(), ": parameter '", name, "' is registered twice");
  for (auto& b : buffers_)
    NN_CHECK(b->name != name, type_name(), ": parameter '", name, "' has the name of a buffer");
  auto p = std::make_unique<Parameter>();
  p->name = std::move(name);
  p->grad = Tensor(data.shape());
  p->data = std::move(data);
  params_.push_back(std::move(p));
  return *params_.back();
}

Tensor& Module::register_buffer(std::string name, Tensor data) {
  NN_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(),
           ": a buffer's name must be non-empty and without '.', found '", name, "'");
  for (auto& b : buffers_) NN_CHECK(b->name != name, type_name(), ": buffer '", name, "' is registered twice");
  for (auto& p : params_)
    NN_CHECK(p->name != name, type_name(), ": buffer '", name, "' has the name of a parameter");
  auto b = std::make_unique<Buffer>();
  b->name = std::move(name);
  b->data = std::move(data);
  buffers_.push_back(std::move(b));
  return buffers_.back()->data;
}

Rng& Module::register_rng(std::string name, Rng rng) {
  NN_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(),
           ": a random generator's name must be non-empty and without '.', found '", name, "'");
  for (auto& r : rngs_)
    NN_CHECK(r->name != name, type_name(), ": random generator '", name, "' is registered twice");
  auto r = std::make_unique<NamedRng>();
  r->name = std::move(name);
  r->rng = rng;
  rngs_.push_back(std::move(r));
  return rngs_.back()->rng;
}

void Module::add_child(std::string name, std::shared_ptr<Module> child) {
  NN_CHECK(child != nullptr, type_name(), ": child '", name, "' is null");
  NN_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(),
           ": a child's name must be non-empty and without '.', found '", name, "'");
  for (auto& [n, c] : children_) NN_CHECK(n != name, type_name(), ": child '", name, "' is registered twice");
  child->train(training_);
  children_.emplace_back(std::move(name), std::move(child));
}

nlohmann::json Module::settings() const { return nlohmann::json::object(); }

std::string Module::repr() const {
  if (children_.empty()) return type_name() + "(" + extra_repr() + ")";
  std::string s = type_name() + "(\n";
  for (auto& [name, child] : children_) {
    std::string inner = child->repr();
    // Indent the child's continuation lines by two spaces.
    std::string indented;
    for (char ch : inner) {
      indented += ch;
      if (ch == '\n') indented += "  ";
    }
    s += "  (" + name + "): " + indented + "\n";
  }
  return s + ")";
}

std::string repr_float(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, end);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

int64_t parameter_count(const Module& m) {
  int64_t n = 0;
  for (const Parameter* p : m.parameters()) n += p->data.numel();
  return n;
}

}  // namespace nn
