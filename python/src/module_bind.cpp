// nn.Module (subclassable in Python: forward and backward written there), nn.Parameter and
// nn.Sequential. Compute runs with the GIL released; outputs come back as tensors of their own.
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <nanobind/trampoline.h>

#include "common.hpp"
#include "nn/error.hpp"
#include "nn/io/model_io.hpp"
#include "nn/layers/sequential.hpp"

namespace nnpy {

using namespace nb::literals;

namespace {

// Module's protected registration functions, reached through member pointers of a derived class.
struct Access : nn::Module {
  using nn::Module::add_child;
  using nn::Module::register_buffer;
  using nn::Module::register_parameter;
};

// A module whose forward and backward are Python methods. The tensors a Python method returns are
// kept until the next call, so C++ callers (Sequential, gradcheck) hold valid references.
class PyModule : public nn::Module {
 public:
  NB_TRAMPOLINE(nn::Module);

  const nn::Tensor& forward(const nn::Tensor& x) override { return call("forward", x, out_); }
  const nn::Tensor& backward(const nn::Tensor& dy) override { return call("backward", dy, dx_); }
  std::string type_name() const override {
    nb::gil_scoped_acquire gil;
    return nb::cast<std::string>(nb_trampoline.base().type().attr("__name__"));
  }

 private:
  const nn::Tensor& call(const char* name, const nn::Tensor& arg, nb::object& keep) {
    nb::gil_scoped_acquire gil;
    nb::detail::ticket ticket(nb_trampoline, name, nb::detail::str_hash(name), true);
    nb::object result = nb_trampoline.base().attr(ticket.key)(arg.clone());
    if (result.is_none()) {
      keep = nb::cast(nn::Tensor());
    } else {
      const std::string what = nb::cast<std::string>(nb_trampoline.base().type().attr("__name__")) + "." + name;
      keep = tensor_object(result, what.c_str());
    }
    return nb::cast<nn::Tensor&>(keep);
  }
  nb::object out_, dx_;
};

}  // namespace

nb::handle input_attr() {
  static nb::str* name = new nb::str("_nn_input");  // never released (interpreter exit)
  return *name;
}

nb::object module_forward(nb::handle self, nb::handle x) {
  nn::Module& m = nb::cast<nn::Module&>(self);
  nb::object xo = tensor_object_named(x, [&] { return m.type_name() + ".forward"; });
  const nn::Tensor& xt = nb::cast<const nn::Tensor&>(xo);
  nn::Tensor out;
  {
    ReleaseGilIf nogil(xt.numel() >= kReleaseGilFrom);
    out = m.forward(xt).clone();
  }
  // The module keeps a pointer to its input for backward: the input stays alive until the next forward.
  if (PyObject_SetAttr(self.ptr(), input_attr().ptr(), xo.ptr()) != 0) throw nb::python_error();
  return nb::cast(std::move(out));
}

nb::object module_backward(nb::handle self, nb::handle dy) {
  nn::Module& m = nb::cast<nn::Module&>(self);
  nb::object dyo = tensor_object_named(dy, [&] { return m.type_name() + ".backward"; });
  const nn::Tensor& dyt = nb::cast<const nn::Tensor&>(dyo);
  nn::Tensor dx;
  {
    ReleaseGilIf nogil(dyt.numel() >= kReleaseGilFrom);
    const nn::Tensor& r = m.backward(dyt);
    if (r.defined() && r.numel() > 0) dx = r.clone();
  }
  if (!dx.defined()) return nb::none();
  return nb::cast(std::move(dx));
}

void bind_module(nb::module_& m) {
  nb::class_<nn::Parameter>(m, "Parameter",
                            "A trainable tensor and the gradient accumulated for it (until zero_grad()).")
      .def_ro("name", &nn::Parameter::name, "The name local to its module (\"weight\").")
      .def_prop_ro(
          "data", [](nn::Parameter& p) -> nn::Tensor& { return p.data; }, nb::rv_policy::reference_internal,
          "The values (an nn.Tensor; np.asarray(p.data) is a view).")
      .def_prop_ro(
          "grad", [](nn::Parameter& p) -> nn::Tensor& { return p.grad; }, nb::rv_policy::reference_internal,
          "The accumulated gradient (same shape as data once sized).")
      .def("__array__",
           [](nb::handle self, nb::handle dtype, nb::handle copy) {
             nb::object view = numpy_view(nb::cast<nn::Parameter&>(self).data, self);
             if (!dtype.is_none()) return view.attr("astype")(dtype);
             if (!copy.is_none() && nb::cast<bool>(copy)) return view.attr("copy")();
             return view;
           },
           "dtype"_a = nb::none(), "copy"_a = nb::none(), "np.asarray(p): a view of the values.")
      .def("__repr__", [](const nn::Parameter& p) { return "nn.Parameter(" + p.name + ", shape=" + p.data.shape().str() + ")"; });

  nb::class_<nn::Module, PyModule>(m, "Module", nb::dynamic_attr(),
                                   "A layer or a model with an explicit forward and backward.\n\n"
                                   "Subclass it in Python: call super().__init__(), assign child modules as "
                                   "attributes (they are registered by name), register parameters with "
                                   "register_parameter, and define forward(x) and backward(dy) returning "
                                   "tensors; backward adds into each parameter's grad.")
      .def(nb::init<>())
      .def("forward", &module_forward, "x"_a, "The output for input x (a tensor of its own).")
      .def("backward", &module_backward, "dy"_a,
           "dL/dx for dL/dy = dy after forward(x); adds the parameters' gradients into their grad.")
      .def(
          "__call__",
          [](nb::handle self, nb::handle x) {
            // A module written in Python runs its own forward; nn's layers go straight to C++.
            if (dynamic_cast<PyModule*>(&nb::cast<nn::Module&>(self)) != nullptr) return self.attr("forward")(x);
            return module_forward(self, x);
          },
          "x"_a,
          "forward(x).")
      .def(
          "parameters", [](nn::Module& mod) { return mod.parameters(); }, nb::rv_policy::reference_internal,
          "The parameters of this module and its children, depth first.")
      .def(
          "named_parameters", [](nn::Module& mod) { return mod.named_parameters(); },
          nb::rv_policy::reference_internal, "(dotted name, parameter) pairs: (\"fc1.weight\", ...).")
      .def(
          "named_buffers",
          [](nn::Module& mod) {
            nb::list out;
            for (auto& [name, t] : mod.named_buffers()) out.append(nb::make_tuple(name, t->clone()));
            return out;
          },
          "(dotted name, copy of the buffer) pairs: saved state that is not trained.")
      .def(
          "children",
          [](nn::Module& mod) {
            std::vector<std::shared_ptr<nn::Module>> out;
            for (auto& c : mod.children()) out.push_back(c.second);
            return out;
          },
          "The direct children.")
      .def(
          "named_children", [](nn::Module& mod) { return mod.children(); }, "(name, child) pairs.")
      .def("zero_grad", &nn::Module::zero_grad, "Sets every gradient to 0.")
      .def(
          "train", [](nb::handle self, bool on) { nb::cast<nn::Module&>(self).train(on); return nb::borrow(self); },
          "mode"_a = true, "Training mode (or evaluation mode with False); returns self.")
      .def(
          "eval", [](nb::handle self) { nb::cast<nn::Module&>(self).eval(); return nb::borrow(self); },
          "Evaluation mode (dropout off, batch norm on running statistics); returns self.")
      .def_prop_ro("training", &nn::Module::is_training, "Whether the module is in training mode.")
      .def_prop_rw("input_grad", &nn::Module::input_grad, &nn::Module::set_input_grad,
                   "Whether backward computes dL/dx (the first layer of a network needs none).")
      .def("type_name", &nn::Module::type_name, "The class name as PyTorch spells it.")
      .def("spec_name", &nn::Module::spec_name, "The layer's name in model specs (\"linear\"); empty for models.")
      .def(
          "settings", [](const nn::Module& mod) { return from_json(mod.settings()); },
          "The layer's settings as a model spec writes them.")
      .def(
          "build",
          [](nn::Module& mod, const std::vector<int64_t>& sample) {
            nn::Shape out = mod.build(nn::Shape(std::span<const int64_t>(sample.data(), sample.size())));
            return std::vector<int64_t>(out.dims().begin(), out.dims().end());
          },
          "sample_shape"_a, "Sizes deferred layers for samples of this shape; returns the output sample shape.")
      .def("num_parameters", [](const nn::Module& mod) { return nn::parameter_count(mod); },
           "The number of scalars in all parameters.")
      .def("__repr__", &nn::Module::repr)
      .def(
          "register_parameter",
          [](nn::Module& mod, const std::string& name, nb::handle value) -> nn::Parameter& {
            nb::object t = tensor_object(value, "register_parameter");
            return (mod.*(&Access::register_parameter))(name, nb::cast<nn::Tensor&>(t).clone());
          },
          "name"_a, "value"_a, nb::rv_policy::reference_internal,
          "Registers a parameter (a copy of `value`) owned by this module; returns it.")
      .def(
          "register_buffer",
          [](nn::Module& mod, const std::string& name, nb::handle value) -> nn::Tensor& {
            nb::object t = tensor_object(value, "register_buffer");
            return (mod.*(&Access::register_buffer))(name, nb::cast<nn::Tensor&>(t).clone());
          },
          "name"_a, "value"_a, nb::rv_policy::reference_internal,
          "Registers a buffer (saved, not trained; a copy of `value`); returns it.")
      .def(
          "register_module",
          [](nb::handle self, const std::string& name, std::shared_ptr<nn::Module> child) {
            nn::Module& mod = nb::cast<nn::Module&>(self);
            (mod.*(&Access::add_child))(name, std::move(child));
          },
          "name"_a, "module"_a, "Registers a child module under `name` (its parameters become name.*).")
      .def(
          "__setattr__",
          [](nb::handle self, nb::str name, nb::handle value) {
            const std::string key = name.c_str();
            if (!key.empty() && key[0] != '_' && nb::isinstance<nn::Module>(value)) {
              nn::Module& mod = nb::cast<nn::Module&>(self);
              for (const auto& c : mod.children())
                NN_CHECK(c.first != key, mod.type_name(), ": a child named '", key, "' is registered already");
              (mod.*(&Access::add_child))(key, nb::cast<std::shared_ptr<nn::Module>>(value));
            }
            if (PyObject_GenericSetAttr(self.ptr(), name.ptr(), value.ptr()) != 0) throw nb::python_error();
          },
          "name"_a, "value"_a, "Sets an attribute; a Module assigned to a public name is registered as a child.")
      .def(
          "state_dict",
          [](nn::Module& mod) {
            nb::dict out;
            for (auto& [name, t] : nn::io::state_dict(mod)) out[name.c_str()] = nb::cast(std::move(t));
            return out;
          },
          "Name -> copy of every parameter and buffer (PyTorch's names and shapes).")
      .def(
          "load_state_dict",
          [](nn::Module& mod, nb::dict dict, bool strict) {
            nn::io::StateDict sd;
            for (auto [k, v] : dict) {
              nb::object t = tensor_object(v, "load_state_dict");
              sd.emplace_back(nb::cast<std::string>(k), nb::cast<nn::Tensor&>(t).clone());
            }
            nn::io::LoadReport report = nn::io::load_state_dict(mod, sd, strict);
            nb::dict out;
            out["missing"] = report.missing;
            out["unexpected"] = report.unexpected;
            out["mismatched"] = report.mismatched;
            return out;
          },
          "state_dict"_a, "strict"_a = true,
          "Copies the tensors into the module's parameters and buffers (names and shapes must match);\n"
          "returns the keys missing, unexpected and mismatched (empty lists when strict).");

  nb::class_<nn::Sequential, nn::Module>(m, "Sequential", nb::dynamic_attr(),
                                         "Modules run in order forward and in reverse backward; children named 0, 1, ...")
      .def(
          "__init__",
          [](nn::Sequential* self, nb::args modules) {
            new (self) nn::Sequential();
            for (nb::handle h : modules) self->add(nb::cast<std::shared_ptr<nn::Module>>(h));
          },
          "modules"_a, "A sequential model of the given modules.")
      .def(
          "append",
          [](nb::handle self, std::shared_ptr<nn::Module> module) {
            nb::cast<nn::Sequential&>(self).add(std::move(module));
            return nb::borrow(self);
          },
          "module"_a, "Adds a module at the end (named by its index); returns self.")
      .def("__len__", &nn::Sequential::size)
      .def(
          "__getitem__",
          [](nn::Sequential& s, int64_t i) {
            const int64_t n = static_cast<int64_t>(s.size());
            if (i < 0) i += n;
            if (i < 0 || i >= n) throw nb::index_error("Sequential index out of range");
            return s.children()[static_cast<size_t>(i)].second;
          },
          "index"_a);
}

}  // namespace nnpy
