// Losses, optimizers (SGD, Adam, AdamW), schedulers and gradcheck.
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <variant>

#include "common.hpp"
#include "nn/error.hpp"
#include "nn/gradcheck.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/clip_grad.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"

namespace nnpy {

using namespace nb::literals;

namespace {

// A loss target: class indices (an integer array or list) or a tensor (one-hot, probabilities,
// regression targets; an nn.Tensor or a float32 array, borrowed).
struct Target {
  nb::object tensor;
  IntArray array;                // int32, contiguous: used in place
  std::vector<int32_t> labels;   // other integer arrays and lists, converted
  bool is_labels() const { return !tensor.is_valid(); }
  nn::Labels span() const {
    if (array.is_valid()) return {array.data(), array.shape(0)};
    return labels;
  }
};

Target target_of(nb::handle value, const nn::Loss& loss) {
  Target t;
  if (nb::isinstance<nn::Tensor>(value)) {
    t.tensor = nb::borrow(value);
    return t;
  }
  if (nb::try_cast(value, t.array, false)) return t;
  const std::string what = loss.type_name() + ": target";
  nb::object np = nb::module_::import_("numpy");
  nb::object a = np.attr("asarray")(value);
  const std::string kind = nb::cast<std::string>(a.attr("dtype").attr("kind"));
  if (kind == "i" || kind == "u" || kind == "b") {
    t.labels = labels_vector(a, what.c_str());
    return t;
  }
  t.tensor = tensor_object(nb::isinstance(value, np.attr("ndarray")) ? value : a.attr("astype")("float32"), what.c_str());
  return t;
}

float loss_forward(nn::Loss& loss, nb::handle pred, nb::handle target) {
  nb::object p = tensor_object_named(pred, [&] { return loss.type_name() + ": pred"; });
  const nn::Tensor& pt = nb::cast<const nn::Tensor&>(p);
  Target t = target_of(target, loss);
  ReleaseGilIf nogil(pt.numel() >= kReleaseGilFrom);
  if (t.is_labels()) return loss.forward(pt, t.span());
  return loss.forward(pt, nb::cast<const nn::Tensor&>(t.tensor));
}

template <class L>
void loss_class(nb::module_& m, const char* name, const char* doc) {
  nb::class_<L, nn::Loss>(m, name, doc).def(nb::init<>());
}

int64_t parameter_elements(const nn::Optimizer& o) {
  int64_t n = 0;
  for (const nn::Parameter* p : o.params()) n += p->data.numel();
  return n;
}

std::vector<nn::Parameter*> params_of(nb::handle params) {
  if (nb::isinstance<nn::Module>(params)) return nb::cast<nn::Module&>(params).parameters();
  std::vector<nn::Parameter*> out;
  for (nb::handle h : params) out.push_back(nb::cast<nn::Parameter*>(h));
  return out;
}

}  // namespace

void bind_losses(nb::module_& m) {
  nb::class_<nn::Loss>(m, "Loss",
                       "A loss: forward(pred, target) -> the batch mean; backward() -> dL/dpred.\n"
                       "target: class indices (integer array) or a tensor of pred's shape (one-hot, ...).")
      .def("forward", &loss_forward, "pred"_a, "target"_a)
      .def("__call__", &loss_forward, "pred"_a, "target"_a)
      .def(
          "backward", [](const nn::Loss& l) { return l.backward().clone(); },
          "dL/dpred of the last forward (a tensor of its own).")
      .def("type_name", &nn::Loss::type_name);
  loss_class<nn::MSELoss>(m, "MSELoss", "Mean squared error.");
  nb::class_<nn::BCELoss, nn::Loss>(m, "BCELoss", "Binary cross-entropy on probabilities.")
      .def(nb::init<float>(), "eps"_a = 1e-7f);
  loss_class<nn::BCEWithLogitsLoss>(m, "BCEWithLogitsLoss", "Binary cross-entropy on logits (sigmoid fused).");
  nb::class_<nn::CrossEntropyLoss, nn::Loss>(m, "CrossEntropyLoss",
                                             "Cross-entropy on probabilities (after a Softmax layer).")
      .def(nb::init<float>(), "eps"_a = 1e-7f);
  nb::class_<nn::SoftmaxCrossEntropyLoss, nn::Loss>(m, "SoftmaxCrossEntropyLoss",
                                                    "Softmax and cross-entropy fused, on logits "
                                                    "(PyTorch's CrossEntropyLoss).")
      .def(nb::init<>());

  m.def(
      "gradcheck",
      [](nn::Module& module, nb::handle x, double step, double atol, double rtol, bool inputs, bool parameters,
         uint64_t seed) {
        nb::object xo = tensor_object(x, "gradcheck: x");
        nn::GradcheckOptions o{step, atol, rtol, inputs, parameters, seed};
        nn::GradcheckResult r;
        {
          nb::gil_scoped_release nogil;
          r = nn::gradcheck(module, nb::cast<const nn::Tensor&>(xo), o);
        }
        nb::dict d;
        d["ok"] = r.ok;
        d["checked"] = r.checked;
        d["max_abs_error"] = r.max_abs_error;
        d["worst"] = r.worst;
        d["message"] = r.message;
        return d;
      },
      "module"_a, "x"_a, "step"_a = 1e-2, "atol"_a = 1e-3, "rtol"_a = 1e-2, "inputs"_a = true,
      "parameters"_a = true, "seed"_a = 1234,
      "Compares backward with central differences of a random projection of forward(x), for dL/dx and every "
      "parameter; returns {'ok', 'checked', 'max_abs_error', 'worst', 'message'}.");
}

void bind_optim(nb::module_& m) {
  nb::class_<nn::Optimizer>(m, "Optimizer", "Updates parameters from their gradients.")
      .def(
          "step",
          [](nn::Optimizer& o) {
            ReleaseGilIf nogil(parameter_elements(o) >= kReleaseGilFrom);
            o.step();
          },
          "One update of every parameter.")
      .def(
          "zero_grad",
          [](nn::Optimizer& o) {
            ReleaseGilIf nogil(parameter_elements(o) >= kReleaseGilFrom);
            o.zero_grad();
          },
          "Sets every parameter's gradient to 0.")
      .def_prop_rw("lr", &nn::Optimizer::lr, &nn::Optimizer::set_lr, "The learning rate.")
      .def_prop_ro("step_count", &nn::Optimizer::step_count)
      .def("type_name", &nn::Optimizer::type_name)
      .def("settings", [](const nn::Optimizer& o) { return from_json(o.settings()); });

  nb::class_<nn::SGD, nn::Optimizer>(m, "SGD", "SGD with momentum (PyTorch's buffer), dampening, weight decay, Nesterov.")
      .def(
          "__init__",
          [](nn::SGD* self, nb::handle params, float lr, float momentum, float dampening, float weight_decay,
             bool nesterov) { new (self) nn::SGD(params_of(params), {lr, momentum, dampening, weight_decay, nesterov}); },
          "params"_a, "lr"_a = 0.01f, "momentum"_a = 0.0f, "dampening"_a = 0.0f, "weight_decay"_a = 0.0f,
          "nesterov"_a = false, nb::keep_alive<1, 2>(),
          "params: model.parameters() (or the model).");
  nb::class_<nn::Adam, nn::Optimizer>(m, "Adam", "Adam (weight_decay: L2 added to the gradient).")
      .def(
          "__init__",
          [](nn::Adam* self, nb::handle params, float lr, std::pair<float, float> betas, float eps, float weight_decay,
             bool amsgrad) {
            new (self) nn::Adam(params_of(params), {lr, betas.first, betas.second, eps, weight_decay, amsgrad});
          },
          "params"_a, "lr"_a = 1e-3f, "betas"_a = std::pair<float, float>(0.9f, 0.999f), "eps"_a = 1e-8f,
          "weight_decay"_a = 0.0f, "amsgrad"_a = false, nb::keep_alive<1, 2>());
  nb::class_<nn::AdamW, nn::Adam>(m, "AdamW", "AdamW: Adam with decoupled weight decay.")
      .def(
          "__init__",
          [](nn::AdamW* self, nb::handle params, float lr, std::pair<float, float> betas, float eps, float weight_decay,
             bool amsgrad) {
            new (self) nn::AdamW(params_of(params), {lr, betas.first, betas.second, eps, weight_decay, amsgrad});
          },
          "params"_a, "lr"_a = 1e-3f, "betas"_a = std::pair<float, float>(0.9f, 0.999f), "eps"_a = 1e-8f,
          "weight_decay"_a = 0.01f, "amsgrad"_a = false, nb::keep_alive<1, 2>());

  nb::class_<nn::Scheduler>(m, "Scheduler", "Sets the optimizer's rate per epoch: call step() after each epoch.")
      .def("step", &nn::Scheduler::step)
      .def_prop_ro("lr", &nn::Scheduler::lr)
      .def_prop_ro("epoch", &nn::Scheduler::epoch)
      .def("lr_at", &nn::Scheduler::lr_at, "epoch"_a, "The rate of an epoch (closed form).");
  nb::class_<nn::StepLR, nn::Scheduler>(m, "StepLR", "lr * gamma^(epoch // step_size).")
      .def(nb::init<nn::Optimizer&, int64_t, float>(), "optimizer"_a, "step_size"_a, "gamma"_a = 0.1f,
           nb::keep_alive<1, 2>());
  nb::class_<nn::MultiStepLR, nn::Scheduler>(m, "MultiStepLR", "lr * gamma^(milestones passed).")
      .def(nb::init<nn::Optimizer&, std::vector<int64_t>, float>(), "optimizer"_a, "milestones"_a, "gamma"_a = 0.1f,
           nb::keep_alive<1, 2>());
  nb::class_<nn::ExponentialLR, nn::Scheduler>(m, "ExponentialLR", "lr * gamma^epoch.")
      .def(nb::init<nn::Optimizer&, float>(), "optimizer"_a, "gamma"_a, nb::keep_alive<1, 2>());
  nb::class_<nn::CosineAnnealingLR, nn::Scheduler>(m, "CosineAnnealingLR", "Cosine from lr to eta_min over t_max epochs.")
      .def(nb::init<nn::Optimizer&, int64_t, float>(), "optimizer"_a, "t_max"_a, "eta_min"_a = 0.0f,
           nb::keep_alive<1, 2>());
}

}  // namespace nnpy
