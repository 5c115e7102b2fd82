// nn._nn: the compiled part of the Python package `nn` (python/nn/__init__.py re-exports it).
#include <nanobind/stl/string.h>

#include "common.hpp"

#include "nn/error.hpp"
#include "nn/random.hpp"
#include "nn/threads.hpp"
#include "nn/version.hpp"

NB_MODULE(_nn, m) {
  using namespace nb::literals;
  m.doc() = "nn's C++ core: tensors, layers, losses, optimizers, training, data, files.";
  // Objects still alive when the interpreter exits (a model a script kept in a global and handed to
  // a Sequential) are released after nanobind's leak check runs; its report would be noise.
  nb::set_leak_warnings(false);
  nb::exception<nn::Error>(m, "Error", PyExc_RuntimeError);
  m.def("manual_seed", &nn::manual_seed, "seed"_a, "Seeds nn's global random generator (initial weights, dropout).");
  m.def("version", &nn::version_line, "nn's version, git revision and BLAS, one line.");
  m.def("set_num_threads", &nn::set_num_threads, "n"_a, "Sets the number of threads nn's kernels use.");
  m.def("num_threads", &nn::num_threads, "The number of threads nn's kernels use.");
  nnpy::bind_tensor(m);
  nnpy::bind_module(m);
  nnpy::bind_layers(m);
  nnpy::bind_losses(m);
  nnpy::bind_optim(m);
  nnpy::bind_io(m);
  nnpy::bind_train(m);
  nnpy::bind_data(m);
  nnpy::bind_classic(m);
}
