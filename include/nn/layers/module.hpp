// Module and Parameter: the explicit forward/backward interface every layer and model implements.
#pragma once

#include "nn/export.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn {

/// A trainable tensor and the gradient accumulated for it. `name` is local to its module
/// ("weight"); Module::named_parameters() gives the dotted path ("fc1.weight").
struct NN_API Parameter {
  std::string name;
  Tensor data;
  Tensor grad;
};

/// A layer or a model. forward() returns a reference to an output buffer the module owns; it stays
/// valid until the next forward() of the same module. The module keeps a reference to its input
/// for backward(), so the input must stay alive and unchanged until backward() has run.
/// backward(dy) adds the parameter gradients into Parameter::grad (they accumulate until
/// zero_grad()) and returns dL/dx, again in a buffer the module owns.
class NN_API Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  virtual const Tensor& forward(const Tensor& x) = 0;
  virtual const Tensor& backward(const Tensor& dy) = 0;
  const Tensor& operator()(const Tensor& x) { return forward(x); }

  /// The parameters of this module and of its children, depth first in registration order.
  std::vector<Parameter*> parameters();
  std::vector<const Parameter*> parameters() const;
  std::vector<std::pair<std::string, Parameter*>> named_parameters();
  std::vector<std::pair<std::string, const Parameter*>> named_parameters() const;
  /// The buffers of this module and of its children: state that is saved with the model but not
  /// trained (BatchNorm's running statistics), with dotted names like named_parameters()
  /// ("bn1.running_mean"), depth first in registration order.
  std::vector<Tensor*> buffers();
  std::vector<const Tensor*> buffers() const;
  std::vector<std::pair<std::string, Tensor*>> named_buffers();
  std::vector<std::pair<std::string, const Tensor*>> named_buffers() const;
  /// The random generators of this module and of its children (Dropout's masks), with dotted
  /// names like named_buffers() ("3.rng"), depth first in registration order; checkpoints save
  /// and restore their states.
  std::vector<std::pair<std::string, Rng*>> named_rngs();
  /// The direct children with their names.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
  void zero_grad();

  /// Training mode (the default) or evaluation mode, for this module and all its children.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// When false, backward() may skip computing dL/dx (the first layer of a network needs none) and
  /// returns an empty tensor. Parameter gradients are computed either way.
  virtual void set_input_grad(bool needed) { input_grad_ = needed; }
  bool input_grad() const { return input_grad_; }

  /// The type's name as PyTorch spells it ("Linear", "ReLU", "Sequential").
  virtual std::string type_name() const = 0;
  /// One line for a leaf ("Linear(in_features=784, out_features=128, bias=True)"); composite
  /// modules print their children indented beneath, as PyTorch does.
  virtual std::string repr() const;
  /// The constructor arguments shown inside the parentheses of repr().
  virtual std::string extra_repr() const { return {}; }

  /// The layer's name in model specs and the layer registry (io/layer_registry.hpp): "linear",
  /// "conv", "batchnorm"; empty for a module that is no registry layer (Sequential, a composite).
  virtual std::string spec_name() const { return {}; }
  /// The layer's settings as a model spec writes them, keys as the registry row names them
  /// ({"out": 128, "init": "he"}): building the row from them gives this layer again.
  virtual nlohmann::json settings() const;  ///< the default: {}

  /// Sizes what this module infers from its input (a deferred Linear's in_features, Conv2D's
  /// in_channels, LayerNorm's normalized_shape) for samples of shape `input` (no batch
  /// dimension), without a forward pass, and returns the shape of one output sample. nn::Error when
  /// the module cannot take such samples. The default: no deferred sizes, output shaped as input.
  virtual Shape build(const Shape& input) { return input; }
  /// A layer whose size is still deferred takes it from the shape of a saved tensor of its own
  /// (`name` local: "weight"), as PyTorch's lazy modules do when a state dict is loaded: a deferred
  /// Linear(out) given a weight [out, in] becomes Linear(in, out). Nothing when the size is known or
  /// the shape says nothing about it (load_state_dict then reports the mismatch).
  virtual void infer_from_saved(const std::string& /*name*/, const Shape& /*saved*/) {}

 protected:
  /// Registers a parameter owned by this module; the returned reference stays valid for the
  /// module's lifetime, also across moves.
  Parameter& register_parameter(std::string name, Tensor data);
  /// Registers a buffer owned by this module (saved, not trained); like a parameter's, the returned
  /// reference stays valid for the module's lifetime, also across moves. Names are unique among
  /// the module's parameters and buffers.
  Tensor& register_buffer(std::string name, Tensor data);
  /// Registers a random generator owned by this module (its state goes into checkpoints); the
  /// returned reference stays valid for the module's lifetime, also across moves.
  Rng& register_rng(std::string name, Rng rng);
  /// Registers a child under `name`; its parameters appear as "name.<param>".
  template <class M>
  M& register_module(std::string name, M module) {
    auto ptr = std::make_shared<M>(std::move(module));
    M& ref = *ptr;
    add_child(std::move(name), std::move(ptr));
    return ref;
  }
  template <class M>
  M& register_module(std::string name, std::shared_ptr<M> module) {
    M& ref = *module;
    add_child(std::move(name), std::move(module));
    return ref;
  }
  void add_child(std::string name, std::shared_ptr<Module> child);
  virtual void on_train_changed() {}

 private:
  struct Buffer {
    std::string name;
    Tensor data;
  };
  struct NamedRng {
    std::string name;
    Rng rng;
  };
  void collect(const std::string& prefix, std::vector<std::pair<std::string, const Parameter*>>& out) const;
  void collect_buffers(const std::string& prefix, std::vector<std::pair<std::string, const Tensor*>>& out) const;
  void collect_rngs(const std::string& prefix, std::vector<std::pair<std::string, Rng*>>& out);
  std::vector<std::unique_ptr<Parameter>> params_;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::vector<std::unique_ptr<NamedRng>> rngs_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  bool input_grad_ = true;
};

/// How repr() prints values, as PyTorch (Python) does: 0.1 -> "0.1", 1.0 -> "1.0", true -> "True".
NN_API std::string repr_float(float v);
inline const char* repr_bool(bool v) { return v ? "True" : "False"; }

/// Number of scalars in all parameters of a module.
NN_API int64_t parameter_count(const Module& m);

}  // namespace nn
