/// @file
/// nn::Sequential: a chain of modules, the usual container for a model.
#pragma once

#include "nn/export.hpp"

#include <concepts>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "nn/error.hpp"
#include "nn/layers/module.hpp"

namespace nn {

/// A chain of modules: forward runs the children in order, each on the previous one's output;
/// backward runs them in reverse. Children are named "0", "1", ... unless added under a name, so
/// parameters are "0.weight", "2.bias", ... as in PyTorch. The children are held by shared pointer:
/// a module passed by value is moved in.
/// @code
/// nn::Sequential net(nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 1), nn::Sigmoid());
/// const nn::Tensor& y = net.forward(x);   // x: (N, 2) -> y: (N, 1)
/// net.at<nn::Linear>(0).weight();
/// @endcode
/// Only the first child's input gradient is this module's input gradient: set_input_grad() sets it
/// on the first child, the inner children always compute theirs.
class NN_API Sequential : public Module {
 public:
  Sequential() = default;  ///< an empty chain; add() appends
  /// Sequential(Linear(2, 3), Tanh(), Linear(3, 1)) or from shared pointers to modules.
  template <class... Ms>
    requires(sizeof...(Ms) > 0 && (!std::same_as<std::remove_cvref_t<Ms>, Sequential> && ...))
  explicit Sequential(Ms&&... modules) {
    (add(std::forward<Ms>(modules)), ...);
  }
  /// A chain of these modules, in order (named "0", "1", ...).
  /// @throws nn::Error when a pointer is null.
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);

  /// Appends a module (moved in) or a shared pointer to one; returns *this for chaining.
  template <class M>
    requires std::derived_from<std::remove_cvref_t<M>, Module>
  Sequential& add(M&& module) {
    add(std::shared_ptr<Module>(std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module))));
    return *this;
  }
  /// Appends a shared module under the next index as its name ("0", "1", ...); returns *this.
  /// @throws nn::Error when `module` is null.
  Sequential& add(std::shared_ptr<Module> module);
  /// Appends a module under a name of its own ("fc1": its parameters are "fc1.weight", ...), as a
  /// composite model names its children; it still runs in the order added.
  /// @throws nn::Error when `module` is null, or the name is empty, contains '.', or is taken.
  Sequential& add(std::string name, std::shared_ptr<Module> module);

  size_t size() const { return children().size(); }  ///< the number of children
  bool empty() const { return children().empty(); }  ///< whether it has no children
  /// The i-th child, in the order added; valid while this Sequential holds it.
  /// @throws nn::Error when i >= size().
  Module& operator[](size_t i) const;
  /// The i-th child as type M; nn::Error if it is another type.
  template <class M>
  M& at(size_t i) const {
    auto* m = dynamic_cast<M*>(&(*this)[i]);
    NN_CHECK(m != nullptr, "Sequential: child ", i, " is ", (*this)[i].type_name(), ", not the type asked for");
    return *m;
  }

  /// Runs the children in order; returns the last child's output buffer.
  /// @throws nn::Error when empty, or from a child.
  const Tensor& forward(const Tensor& x) override;
  /// Runs the children's backward in reverse order; returns the first child's dL/dx.
  /// @throws nn::Error when empty, or from a child.
  const Tensor& backward(const Tensor& dy) override;
  /// Sets this module's flag and the first child's (the inner children always compute dL/dx).
  void set_input_grad(bool needed) override;
  /// Sizes every layer whose input size is inferred (deferred Linear, Conv2D, LayerNorm) for
  /// samples of shape `sample_shape`, each layer from the output shape of the one before, without
  /// a forward pass; returns the shape of one output sample.
  Shape build(const Shape& sample_shape) override;
  std::string type_name() const override { return "Sequential"; }

 private:
  // How each child runs: on its own, or as part of a fused pair (a ReLU right before or after a
  // MaxPool2D runs as one pass of the pool: MaxPool2D::forward_relu). Set by add().
  enum class Step : uint8_t { Alone, Skip, PoolReluFirst, PoolReluAfter };
  void plan();
  std::vector<Step> steps_;
  bool fused_ = false;  // the last forward() ran the plan's fused steps (not on a CUDA device)
};

}  // namespace nn
