#include "nn/layers/sequential.hpp"

#include <string>

namespace nn {

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) add(std::move(m));
}

Sequential& Sequential::add(std::shared_ptr<Module> module) { return add(std::to_string(size()), std::move(module)); }

Sequential& Sequential::add(std::string name, std::shared_ptr<Module> module) {
  const bool first = empty();
  add_child(std::move(name), std::move(module));
  // Only the first child's input gradient is this module's input gradient; inner ones feed the
  // previous layer and are always needed.
  children().back().second->set_input_grad(first ? input_grad() : true);
  return *this;
}

Module& Sequential::operator[](size_t i) const {
  NN_CHECK(i < size(), "Sequential: index ", i, " out of range for ", size(), " modules");
  return *children()[i].second;
}

void Sequential::set_input_grad(bool needed) {
  Module::set_input_grad(needed);
  if (!empty()) children().front().second->set_input_grad(needed);
}

const Tensor& Sequential::forward(const Tensor& x) {
  NN_CHECK(!empty(), "Sequential: forward on an empty Sequential");
  const Tensor* h = &x;
  for (auto& [name, child] : children()) h = &child->forward(*h);
  return *h;
}

Shape Sequential::build(const Shape& sample_shape) {
  Shape shape = sample_shape;
  for (auto& [name, child] : children()) shape = child->build(shape);
  return shape;
}

const Tensor& Sequential::backward(const Tensor& dy) {
  NN_CHECK(!empty(), "Sequential: backward on an empty Sequential");
  const Tensor* g = &dy;
  const auto& kids = children();
  for (auto it = kids.rbegin(); it != kids.rend(); ++it) g = &it->second->backward(*g);
  return *g;
}

}  // namespace nn
