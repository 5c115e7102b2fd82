#include "nn/layers/sequential.hpp"

#include <string>
#include <typeinfo>

#include "nn/layers/activation.hpp"
#include "nn/layers/pool.hpp"

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
  plan();
  return *this;
}

void Sequential::plan() {
  const auto& kids = children();
  steps_.assign(kids.size(), Step::Alone);
  // Exactly these classes (a subclass may change what they compute).
  const auto type = [&](size_t i) -> const std::type_info& {
    const Module& m = *kids[i].second;
    return typeid(m);
  };
  for (size_t i = 0; i + 1 < kids.size(); ++i) {
    if (steps_[i] != Step::Alone) continue;
    if (type(i) == typeid(ReLU) && type(i + 1) == typeid(MaxPool2D)) {
      steps_[i] = Step::Skip;
      steps_[i + 1] = Step::PoolReluFirst;
    } else if (type(i) == typeid(MaxPool2D) && type(i + 1) == typeid(ReLU)) {
      steps_[i] = Step::PoolReluAfter;
      steps_[i + 1] = Step::Skip;
    }
  }
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
  const auto& kids = children();
  // The fused pool-and-ReLU steps are CPU kernels; on a GPU every child runs on its own.
  fused_ = !x.is_cuda();
  if (!fused_) {
    for (const auto& kid : kids) h = &kid.second->forward(*h);
    return *h;
  }
  for (size_t i = 0; i < kids.size(); ++i) {
    switch (steps_[i]) {
      case Step::Alone: h = &kids[i].second->forward(*h); break;
      case Step::Skip: break;  // the pool next to it runs the pair
      case Step::PoolReluFirst:
      case Step::PoolReluAfter:
        h = &static_cast<MaxPool2D&>(*kids[i].second).forward_relu(*h, steps_[i] == Step::PoolReluFirst);
        break;
    }
  }
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
  for (size_t i = kids.size(); i-- > 0;) {
    if (!fused_ || steps_[i] == Step::Alone)
      g = &kids[i].second->backward(*g);
    else if (steps_[i] != Step::Skip)
      g = &static_cast<MaxPool2D&>(*kids[i].second).backward_relu(*g);
  }
  return *g;
}

}  // namespace nn
