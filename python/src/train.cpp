// Training on NumPy arrays (fit, with History; Ctrl-C interrupts it), evaluation, prediction,
// metrics and the HTML report.
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include <chrono>
#include <iostream>

#include "common.hpp"
#include "nn/data/dataset.hpp"
#include "nn/error.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/report/decision_regions.hpp"
#include "nn/report/report.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/history.hpp"
#include "nn/train/metrics.hpp"
#include "nn/train/predict.hpp"
#include "nn/train/progress.hpp"
#include "nn/train/trainer.hpp"

namespace nnpy {

using namespace nb::literals;

namespace {

struct Interrupted {};

// Checks for signals (Ctrl-C) with the GIL briefly held, after a batch when 20 ms have passed
// since the last check (Python runs signal handlers on the main thread only, so a fit on another
// thread does not check), and calls the Python callable `on_epoch(epoch, record)` after every epoch.
class PythonHooks : public nn::train::Callback {
 public:
  explicit PythonHooks(nb::object on_epoch) : on_epoch_(std::move(on_epoch)) {
    nb::object threading = nb::module_::import_("threading");
    main_thread_ = threading.attr("main_thread")().attr("ident").equal(threading.attr("get_ident")());
  }
  void on_batch_end(const nn::train::BatchEnd&) override {
    if (!main_thread_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < std::chrono::milliseconds(20)) return;
    last_check_ = now;
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      throw Interrupted{};
    }
  }
  void on_epoch_end(int64_t epoch, const nn::train::EpochRecord& record) override {
    if (on_epoch_.is_none()) return;
    nb::gil_scoped_acquire gil;
    try {
      on_epoch_(epoch, from_json(nn::train::to_json(record)));
    } catch (nb::python_error& e) {
      error_ = std::make_unique<nb::python_error>(std::move(e));
      throw Interrupted{};
    }
  }
  std::unique_ptr<nb::python_error> error_;

 private:
  nb::object on_epoch_;
  bool main_thread_ = true;
  std::chrono::steady_clock::time_point last_check_{};
};

nn::data::Dataset dataset_of(nb::handle x, nb::handle y, const char* what) {
  nn::Tensor features = features_tensor(x, what);
  nb::object np = nb::module_::import_("numpy");
  nb::object ya = np.attr("asarray")(y);
  const std::string kind = nb::cast<std::string>(ya.attr("dtype").attr("kind"));
  NN_CHECK(features.rank() >= 1, what, ": expected samples along the first dimension, found a scalar");
  if (features.rank() == 1) features.reshape(nn::Shape{features.dim(0), 1});
  if (kind == "i" || kind == "u" || kind == "b")
    return nn::data::Dataset::classification(std::move(features), labels_vector(ya, what));
  nn::Tensor targets = features_tensor(ya, what);
  if (targets.rank() == 1) targets.reshape(nn::Shape{targets.dim(0), 1});
  return nn::data::Dataset::regression(std::move(features), std::move(targets));
}

nb::object int_array(std::vector<int32_t> values) {
  auto* v = new std::vector<int32_t>(std::move(values));
  nb::capsule owner(v, [](void* p) noexcept { delete static_cast<std::vector<int32_t>*>(p); });
  size_t shape[1] = {v->size()};
  return nb::cast(nb::ndarray<nb::numpy, int32_t>(v->data(), 1, shape, owner));
}

}  // namespace

nb::object labels_array(std::vector<int32_t> values) { return int_array(std::move(values)); }

void bind_train(nb::module_& m) {
  nb::class_<nn::train::History>(m, "History",
                                 "The epochs of a fit: h['loss'], h['val_accuracy'], ... (one value per epoch).")
      .def("__len__", &nn::train::History::size)
      .def("__getitem__", &nn::train::History::series, "metric"_a,
           "The series of a metric: loss, accuracy, val_loss, val_accuracy, lr, seconds, ...")
      .def_prop_ro("history",
                   [](const nn::train::History& h) {
                     nb::dict d;
                     for (const auto& name : nn::train::History::metric_names()) {
                       // Keras's names: loss and accuracy for the training figures.
                       const std::string key = name.starts_with("train_") ? name.substr(6) : name;
                       d[key.c_str()] = h.series(name);
                     }
                     return d;
                   },
                   "Every metric's series, as a dict with Keras's names (loss, accuracy, val_loss, val_accuracy, lr, ...).")
      .def_ro("stop_reason", &nn::train::History::stop_reason, "Why the fit stopped early; empty when it did not.")
      .def("to_dict", [](const nn::train::History& h) { return from_json(nn::train::to_json(h)); },
           "The history as nn writes it to JSON.");

  m.def(
      "_fit",
      [](nn::Module& model, nn::Loss& loss, nn::Optimizer& optimizer, nb::handle x, nb::handle y, nb::handle xv,
         nb::handle yv, int64_t epochs, int64_t batch_size, uint64_t seed, bool shuffle, nn::Scheduler* scheduler,
         bool verbose, nb::object on_epoch, float clip_grad_norm) {
        nn::data::Dataset train = dataset_of(x, y, "fit: X, y");
        std::optional<nn::data::Dataset> val;
        if (!xv.is_none()) val = dataset_of(xv, yv, "fit: validation_data");
        nn::train::FitOptions o;
        o.epochs = epochs;
        o.batch_size = batch_size;
        o.seed = seed;
        o.shuffle = shuffle;
        o.clip_grad_norm = clip_grad_norm;
        PythonHooks hooks(std::move(on_epoch));
        nn::train::ProgressReporter progress(std::cerr, {.mode = nn::train::ProgressMode::lines});
        nn::train::Trainer trainer;
        if (verbose) trainer.add_callback(progress);
        trainer.add_callback(hooks);
        try {
          nb::gil_scoped_release nogil;
          return trainer.fit(model, loss, optimizer, train, val ? &*val : nullptr, o, scheduler);
        } catch (const Interrupted&) {
          if (hooks.error_) throw std::move(*hooks.error_);
          PyErr_SetNone(PyExc_KeyboardInterrupt);
          throw nb::python_error();
        }
      },
      "model"_a, "loss"_a, "optimizer"_a, "x"_a, "y"_a, "x_val"_a.none(), "y_val"_a.none(), "epochs"_a,
      "batch_size"_a, "seed"_a, "shuffle"_a, "scheduler"_a.none(), "verbose"_a, "on_epoch"_a.none(),
      "clip_grad_norm"_a);

  m.def(
      "evaluate",
      [](nn::Module& model, nn::Loss& loss, nb::handle x, nb::handle y, int64_t batch_size) {
        nn::data::Dataset data = dataset_of(x, y, "evaluate: X, y");
        nn::train::Evaluation e;
        {
          nb::gil_scoped_release nogil;
          e = nn::train::evaluate(model, loss, data, {.batch_size = batch_size});
        }
        nb::dict d;
        d["loss"] = e.loss;
        d["accuracy"] = e.accuracy;
        d["samples"] = e.samples;
        if (!e.predictions.empty()) d["predictions"] = int_array(std::move(e.predictions));
        return d;
      },
      "model"_a, "loss"_a, "x"_a, "y"_a, "batch_size"_a = 256,
      "Loss and accuracy in evaluation mode: {'loss', 'accuracy', 'samples', 'predictions'}.");
  m.def(
      "predict",
      [](nn::Module& model, nb::handle x, int64_t batch_size) {
        nn::Tensor xt = features_tensor(x, "predict: X");
        nn::Tensor out;
        {
          nb::gil_scoped_release nogil;
          nn::train::predict(model, xt, out, batch_size);
        }
        return out;
      },
      "model"_a, "x"_a, "batch_size"_a = 1000, "The model's outputs for every row of X, in batches (as it is: set eval()).");

  m.def(
      "predict_classes",
      [](nb::handle scores, float threshold) {
        nb::object s = tensor_object(scores, "predict_classes");
        return int_array(nn::train::predict_classes(nb::cast<const nn::Tensor&>(s), threshold));
      },
      "scores"_a, "threshold"_a = 0.5f, "Argmax per row, or score >= threshold for one column.");
  m.def(
      "accuracy",
      [](nb::handle predicted, nb::handle truth) {
        std::vector<int32_t> p = labels_vector(predicted, "accuracy: predicted"), t = labels_vector(truth, "accuracy: truth");
        return nn::train::accuracy(p, t);
      },
      "predicted"_a, "truth"_a, "The fraction of equal labels.");
  m.def(
      "confusion_matrix",
      [](nb::handle predicted, nb::handle truth, int64_t num_classes) {
        std::vector<int32_t> p = labels_vector(predicted, "confusion_matrix: predicted"),
                             t = labels_vector(truth, "confusion_matrix: truth");
        nn::train::ConfusionMatrix cm = nn::train::confusion_matrix(p, t, num_classes);
        nb::list rows;
        for (int64_t i = 0; i < cm.num_classes; ++i) {
          nb::list row;
          for (int64_t j = 0; j < cm.num_classes; ++j) row.append(cm.at(i, j));
          rows.append(row);
        }
        return nb::module_::import_("numpy").attr("array")(rows, "dtype"_a = "int64");
      },
      "predicted"_a, "truth"_a, "num_classes"_a = 0, "counts[truth, predicted].");
  m.def(
      "mean_squared_error",
      [](nb::handle pred, nb::handle target) {
        nb::object p = tensor_object(pred, "mean_squared_error"), t = tensor_object(target, "mean_squared_error");
        return nn::train::mean_squared_error(nb::cast<const nn::Tensor&>(p), nb::cast<const nn::Tensor&>(t));
      },
      "pred"_a, "target"_a);
  m.def(
      "r2_score",
      [](nb::handle pred, nb::handle target) {
        nb::object p = tensor_object(pred, "r2_score"), t = tensor_object(target, "r2_score");
        return nn::train::r2_score(nb::cast<const nn::Tensor&>(p), nb::cast<const nn::Tensor&>(t));
      },
      "pred"_a, "target"_a);

  m.def(
      "write_report",
      [](const std::string& dir, const nn::train::History& history, const std::string& title, nb::handle predicted,
         nb::handle truth, std::vector<std::string> class_names, nn::Module* model, nb::handle x, nb::handle y) {
        nn::report::ReportContent content;
        content.title = title;
        content.history = history;
        if (model != nullptr) {
          NN_CHECK(!x.is_none() && !y.is_none(), "write_report: a model's decision regions need X and y");
          nn::data::Dataset points = dataset_of(x, y, "write_report: X, y");
          auto classify = [model](const nn::Tensor& batch, std::span<int32_t> out) {
            nn::train::predict_classes(model->forward(batch), out);
          };
          content.regions = nn::report::decision_regions(classify, points);
        }
        if (!predicted.is_none()) {
          std::vector<int32_t> p = labels_vector(predicted, "write_report: predicted"),
                               t = labels_vector(truth, "write_report: truth");
          content.confusion = nn::train::confusion_matrix(p, t, static_cast<int64_t>(class_names.size()));
          content.evaluated_on = std::to_string(t.size()) + " samples";
        }
        content.class_names = std::move(class_names);
        std::vector<std::string> written;
        for (const auto& path : nn::report::write_report(dir, content)) written.push_back(path.string());
        return written;
      },
      "dir"_a, "history"_a, "title"_a = "nn training report", "predicted"_a.none() = nb::none(),
      "truth"_a.none() = nb::none(), "class_names"_a = std::vector<std::string>{}, "model"_a.none() = nb::none(),
      "X"_a.none() = nb::none(), "y"_a.none() = nb::none(),
      "Writes report.html and its pictures into dir: loss, accuracy, the confusion matrix of predicted against "
      "truth, and a model's decision regions over two-feature data X, y. Returns the paths written.");
}

}  // namespace nnpy
