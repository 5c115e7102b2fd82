// The classic neurons with scikit-learn's shape: Perceptron(eta, n_iter, random_state).fit(X, y),
// errors_, losses_, w_, b_, predict, partial_fit.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "common.hpp"
#include "nn/classic/adaline.hpp"
#include "nn/classic/perceptron.hpp"

namespace nnpy {

using namespace nb::literals;
using nn::classic::LinearNeuron;

namespace {

nb::object fit_neuron(nb::handle self, nb::handle x, nb::handle y) {
  nn::Tensor xt = features_tensor(x, "fit: X");
  std::vector<int32_t> labels = labels_vector(y, "fit: y");
  nb::object sp = nb::borrow(self);
  LinearNeuron& n = nb::cast<LinearNeuron&>(self);
  {
    nb::gil_scoped_release nogil;
    if (auto* p = dynamic_cast<nn::classic::Perceptron*>(&n)) p->fit(xt, labels);
    else if (auto* a = dynamic_cast<nn::classic::AdalineGD*>(&n)) a->fit(xt, labels);
    else if (auto* s = dynamic_cast<nn::classic::AdalineSGD*>(&n)) s->fit(xt, labels);
  }
  return sp;
}

}  // namespace

void bind_classic(nb::module_& m) {
  nb::class_<LinearNeuron>(m, "LinearNeuron", "A single neuron: net input w.x + b, prediction 1 where it reaches the threshold.")
      .def("fit", &fit_neuron, "X"_a, "y"_a, "Trains on X [N, F] and labels y (0/1); returns self.")
      .def(
          "predict",
          [](const LinearNeuron& n, nb::handle x) { return labels_array(n.predict(features_tensor(x, "predict: X"))); },
          "X"_a, "Class labels (0/1) of the rows of X.")
      .def("net_input", [](const LinearNeuron& n, nb::handle x) { return n.net_input(features_tensor(x, "net_input: X")); },
           "X"_a, "w.x + b of every row.")
      .def_prop_ro("w_", [](const LinearNeuron& n) { return n.weights(); }, "The weights (after fit).")
      .def_prop_ro("b_", &LinearNeuron::bias, "The bias (after fit).")
      .def_prop_ro("fitted", &LinearNeuron::fitted);
  nb::class_<nn::classic::Perceptron, LinearNeuron>(m, "Perceptron", "Rosenblatt's perceptron (errors_: updates per epoch).")
      .def(
          "__init__",
          [](nn::classic::Perceptron* self, double eta, int64_t n_iter, uint64_t random_state) {
            new (self) nn::classic::Perceptron({.learning_rate = eta, .n_iter = n_iter, .random_state = random_state});
          },
          "eta"_a = 0.01, "n_iter"_a = 50, "random_state"_a = 1)
      .def_prop_ro("errors_", &nn::classic::Perceptron::errors, "Misclassifications (updates) in each epoch.");
  nb::class_<nn::classic::AdalineGD, LinearNeuron>(m, "AdalineGD", "Adaline, full-batch gradient descent on the MSE.")
      .def(
          "__init__",
          [](nn::classic::AdalineGD* self, double eta, int64_t n_iter, uint64_t random_state) {
            new (self) nn::classic::AdalineGD({.learning_rate = eta, .n_iter = n_iter, .random_state = random_state});
          },
          "eta"_a = 0.01, "n_iter"_a = 50, "random_state"_a = 1)
      .def_prop_ro("losses_", &nn::classic::AdalineGD::losses, "Mean squared error of each epoch.");
  nb::class_<nn::classic::AdalineSGD, LinearNeuron>(m, "AdalineSGD", "Adaline, stochastic gradient descent.")
      .def(
          "__init__",
          [](nn::classic::AdalineSGD* self, double eta, int64_t n_iter, bool shuffle, uint64_t random_state) {
            new (self) nn::classic::AdalineSGD(
                {.learning_rate = eta, .n_iter = n_iter, .shuffle = shuffle, .random_state = random_state});
          },
          "eta"_a = 0.01, "n_iter"_a = 10, "shuffle"_a = true, "random_state"_a = 69)
      .def(
          "partial_fit",
          [](nb::handle self, nb::handle x, nb::handle y) {
            auto& a = nb::cast<nn::classic::AdalineSGD&>(self);
            nn::Tensor xt = features_tensor(x, "partial_fit: X");
            if (xt.rank() == 1) xt.reshape(nn::Shape{1, xt.dim(0)});
            nb::object ya = nb::module_::import_("numpy").attr("atleast_1d")(y);
            std::vector<int32_t> labels = labels_vector(ya, "partial_fit: y");
            a.partial_fit(xt, labels);
            return nb::borrow(self);
          },
          "X"_a, "y"_a, "Updates on these samples without reinitialising the weights; returns self.")
      .def_prop_ro("losses_", &nn::classic::AdalineSGD::losses, "Mean loss of each epoch.");
}

}  // namespace nnpy
