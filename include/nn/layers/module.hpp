/// @file
/// nn::Module and nn::Parameter: the explicit forward/backward interface every layer and model
/// implements.
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
  std::string name;  ///< the name within its module ("weight", "bias")
  Tensor data;       ///< the value the optimizer updates
  Tensor grad;       ///< dL/d(data), same shape as data; backward() adds into it, zero_grad() clears it
};

/// A layer or a model. forward() returns a reference to an output buffer the module owns; it stays
/// valid until the next forward() of the same module. The module keeps a reference to its input
/// for backward(), so the input must stay alive and unchanged until backward() has run.
/// backward(dy) adds the parameter gradients into Parameter::grad (they accumulate until
/// zero_grad()) and returns dL/dx, again in a buffer the module owns.
///
/// A training step, by hand:
/// @code
/// nn::Sequential net(nn::Linear(784, 128), nn::ReLU(), nn::Linear(128, 10));
/// nn::SoftmaxCrossEntropyLoss loss;
/// nn::SGD opt(net.parameters(), {.lr = 0.1f});
/// opt.zero_grad();
/// const nn::Tensor& logits = net.forward(x);   // x: (N, 784)
/// float value = loss(logits, labels);
/// net.backward(loss.backward());
/// opt.step();
/// @endcode
/// A module is not thread-safe: one thread at a time may run forward/backward on it, since they
/// write the module's own buffers. Modules are not copyable; they can be moved, and the pointers
/// from parameters() and buffers() stay valid across a move.
class NN_API Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;             ///< not copyable: a module owns its buffers
  Module& operator=(const Module&) = delete;  ///< not copyable: a module owns its buffers
  /// Moves the parameters, buffers, generators and children; pointers to them stay valid.
  Module(Module&&) = default;
  /// Moves the parameters, buffers, generators and children; pointers to them stay valid.
  Module& operator=(Module&&) = default;

  /// Computes the output for a batch `x` (its first dimension is the batch, N) and remembers `x`
  /// for backward(). The reference is to a buffer the module owns, valid until its next forward().
  /// @throws nn::Error when `x` does not have the shape the module takes.
  virtual const Tensor& forward(const Tensor& x) = 0;
  /// Given dy = dL/dy for the last forward()'s output (same shape as it), adds the parameter
  /// gradients into Parameter::grad and returns dL/dx (the shape of the last input), in a buffer
  /// the module owns, valid until its next backward(); an empty tensor when set_input_grad(false).
  /// @throws nn::Error when no forward() came first or `dy` has the wrong shape.
  virtual const Tensor& backward(const Tensor& dy) = 0;
  /// The same as forward(x).
  const Tensor& operator()(const Tensor& x) { return forward(x); }

  /// The parameters of this module and of its children, depth first in registration order. The
  /// pointers stay valid for the module's lifetime; pass them to an optimizer.
  std::vector<Parameter*> parameters();
  /// The parameters, read-only (see the non-const overload).
  std::vector<const Parameter*> parameters() const;
  /// The parameters with their dotted paths ("fc1.weight", "0.bias"), in the order of parameters().
  std::vector<std::pair<std::string, Parameter*>> named_parameters();
  /// The parameters with their dotted paths, read-only (see the non-const overload).
  std::vector<std::pair<std::string, const Parameter*>> named_parameters() const;
  /// The buffers of this module and of its children: state that is saved with the model but not
  /// trained (BatchNorm's running statistics), with dotted names like named_parameters()
  /// ("bn1.running_mean"), depth first in registration order.
  std::vector<Tensor*> buffers();
  /// The buffers, read-only (see the non-const overload).
  std::vector<const Tensor*> buffers() const;
  /// The buffers with their dotted paths ("bn1.running_mean"), in the order of buffers().
  std::vector<std::pair<std::string, Tensor*>> named_buffers();
  /// The buffers with their dotted paths, read-only.
  std::vector<std::pair<std::string, const Tensor*>> named_buffers() const;
  /// The random generators of this module and of its children (Dropout's masks), with dotted
  /// names like named_buffers() ("3.rng"), depth first in registration order; checkpoints save
  /// and restore their states.
  std::vector<std::pair<std::string, Rng*>> named_rngs();
  /// The direct children with their names, in registration order; a reference into this module.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
  /// Sets the gradient of every parameter (this module's and its children's) to zero; call it
  /// before each backward(), since gradients accumulate.
  void zero_grad();

  /// Moves the parameters, their gradients and the buffers (BatchNorm's running statistics) of
  /// this module and its children to `device`, keeping their values, and remembers the device
  /// for what the module sizes later (device()). Returns *this: `model.to(nn::default_device())`.
  /// Inputs must then be on the same device; an optimizer's state follows on its next step().
  /// @throws nn::Error when the device cannot be used (no such GPU, nn built without CUDA).
  Module& to(Device device);
  /// The device the module was last moved to with to(); the CPU until then. A layer that sizes a
  /// deferred parameter later creates it here.
  Device device() const { return device_; }
  /// Whether forward() and backward() on a GPU may be captured once into a CUDA graph and
  /// replayed (Trainer's whole-step graphs): true when they read no value from the host that
  /// changes from step to step (Dropout's draw counter lives on the device). A layer that does
  /// answers false, and the Trainer then runs plain launches. A composite answers for its children.
  virtual bool graph_capturable() const;

  /// Training mode (the default) or evaluation mode, for this module and all its children. The
  /// mode changes what Dropout and BatchNorm do.
  void train(bool on = true);
  void eval() { train(false); }                    ///< evaluation mode: the same as train(false)
  bool is_training() const { return training_; }  ///< whether the module is in training mode

  /// When false, backward() may skip computing dL/dx (the first layer of a network needs none) and
  /// returns an empty tensor. Parameter gradients are computed either way.
  virtual void set_input_grad(bool needed) { input_grad_ = needed; }
  bool input_grad() const { return input_grad_; }  ///< whether backward() computes dL/dx (default true)

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
  /// Registers a parameter owned by this module, with a zeroed gradient of the same shape; the
  /// returned reference stays valid for the module's lifetime, also across moves.
  /// @throws nn::Error when the name is empty, contains '.', or is taken by a parameter or buffer
  ///   of this module.
  Parameter& register_parameter(std::string name, Tensor data);
  /// Registers a buffer owned by this module (saved, not trained); like a parameter's, the returned
  /// reference stays valid for the module's lifetime, also across moves. Names are unique among
  /// the module's parameters and buffers.
  /// @throws nn::Error when the name is empty, contains '.', or is taken.
  Tensor& register_buffer(std::string name, Tensor data);
  /// Registers a random generator owned by this module (its state goes into checkpoints); the
  /// returned reference stays valid for the module's lifetime, also across moves.
  /// @throws nn::Error when the name is empty, contains '.', or is taken.
  Rng& register_rng(std::string name, Rng rng);
  /// Registers a child under `name`; its parameters appear as "name.<param>". The child is moved
  /// into shared storage the module owns; the returned reference stays valid for the module's
  /// lifetime. The child takes this module's training mode.
  /// @throws nn::Error when the name is empty, contains '.', or is taken by another child.
  template <class M>
  M& register_module(std::string name, M module) {
    auto ptr = std::make_shared<M>(std::move(module));
    M& ref = *ptr;
    add_child(std::move(name), std::move(ptr));
    return ref;
  }
  /// Registers a child the caller may share; otherwise as the overload that takes the module by value.
  /// @throws nn::Error when `module` is null, or the name is empty, contains '.', or is taken.
  template <class M>
  M& register_module(std::string name, std::shared_ptr<M> module) {
    M& ref = *module;
    add_child(std::move(name), std::move(module));
    return ref;
  }
  /// Registers `child` under `name` (what register_module() does, for a Module pointer).
  /// @throws nn::Error when `child` is null, or the name is empty, contains '.', or is taken.
  void add_child(std::string name, std::shared_ptr<Module> child);
  /// Called by train() once it has set this module's mode (before its children's), even when the
  /// mode is unchanged; a layer overrides it to react to the mode. The default does nothing.
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
  Device device_;
};

/// How repr() prints values, as PyTorch (Python) does: 0.1 -> "0.1", 1.0 -> "1.0", true -> "True".
NN_API std::string repr_float(float v);
/// How repr() prints a bool, as Python does: "True" or "False".
inline const char* repr_bool(bool v) { return v ? "True" : "False"; }

/// Number of scalars in all parameters of a module and its children (buffers not counted).
NN_API int64_t parameter_count(const Module& m);

}  // namespace nn
