// Sequential: children run forward in order and backward in reverse; they are named "0", "1", ...
#pragma once

#include "nn/export.hpp"

#include <concepts>
#include <memory>
#include <type_traits>
#include <vector>

#include "nn/error.hpp"
#include "nn/layers/module.hpp"

namespace nn {

class NN_API Sequential : public Module {
 public:
  Sequential() = default;
  /// Sequential(Linear(2, 3), Tanh(), Linear(3, 1)) or from shared pointers to modules.
  template <class... Ms>
    requires(sizeof...(Ms) > 0 && (!std::same_as<std::remove_cvref_t<Ms>, Sequential> && ...))
  explicit Sequential(Ms&&... modules) {
    (add(std::forward<Ms>(modules)), ...);
  }
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);

  /// Appends a module (moved in) or a shared pointer to one; returns *this for chaining.
  template <class M>
    requires std::derived_from<std::remove_cvref_t<M>, Module>
  Sequential& add(M&& module) {
    add(std::shared_ptr<Module>(std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module))));
    return *this;
  }
  Sequential& add(std::shared_ptr<Module> module);
  /// Appends a module under a name of its own ("fc1": its parameters are "fc1.weight", ...), as a
  /// composite model names its children; it still runs in the order added.
  Sequential& add(std::string name, std::shared_ptr<Module> module);

  size_t size() const { return children().size(); }
  bool empty() const { return children().empty(); }
  Module& operator[](size_t i) const;
  /// The i-th child as type M; nn::Error if it is another type.
  template <class M>
  M& at(size_t i) const {
    auto* m = dynamic_cast<M*>(&(*this)[i]);
    NN_CHECK(m != nullptr, "Sequential: child ", i, " is ", (*this)[i].type_name(), ", not the type asked for");
    return *m;
  }

  const Tensor& forward(const Tensor& x) override;
  const Tensor& backward(const Tensor& dy) override;
  void set_input_grad(bool needed) override;
  /// Sizes every layer whose input size is inferred (deferred Linear, Conv2D, LayerNorm) for
  /// samples of shape `sample_shape`, each layer from the output shape of the one before, without
  /// a forward pass; returns the shape of one output sample.
  Shape build(const Shape& sample_shape) override;
  std::string type_name() const override { return "Sequential"; }
};

}  // namespace nn
