#include "nn/train/callbacks.hpp"

#include <cmath>

#include "nn/error.hpp"

namespace nn::train {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  NN_CHECK(options_.patience >= 1, "EarlyStopping: expected patience >= 1, found ", options_.patience);
  NN_CHECK(options_.min_delta >= 0.0, "EarlyStopping: expected min_delta >= 0, found ", options_.min_delta);
  EpochRecord probe;
  History::value(probe, options_.monitor);  // an unknown name throws here, not after an epoch
  switch (options_.mode) {
    case MonitorMode::min: maximize_ = false; break;
    case MonitorMode::max: maximize_ = true; break;
    case MonitorMode::automatic: maximize_ = options_.monitor.find("accuracy") != std::string::npos; break;
  }
}

void EarlyStopping::on_train_begin(const TrainBegin& info) {
  NN_CHECK(info.has_validation || options_.monitor.rfind("val_", 0) != 0, "EarlyStopping: monitor '",
           options_.monitor, "' needs a validation set, found none");
  NN_CHECK(info.classification || options_.monitor.find("accuracy") == std::string::npos,
           "EarlyStopping: monitor '", options_.monitor, "' needs a classification dataset, found regression");
  model_ = &info.model;
  stopped_epoch_ = -1;
  // A resumed fit (same object) keeps counting from where it was.
  if (info.start_epoch == 0 && info.start_batch == 0) {
    best_epoch_ = -1;
    wait_ = 0;
  }
}

namespace {

// What "the best weights" are: every parameter, then every buffer (batch norm's running
// statistics), so that the restored model evaluates as it did at its best epoch.
std::vector<Tensor*> model_state(Module& model) {
  std::vector<Tensor*> state;
  for (Parameter* p : model.parameters()) state.push_back(&p->data);
  for (Tensor* b : model.buffers()) state.push_back(b);
  return state;
}

}  // namespace

void EarlyStopping::on_epoch_end(int64_t epoch, const EpochRecord& record) {
  const double v = History::value(record, options_.monitor);
  const bool improved =
      !std::isnan(v) && (best_epoch_ < 0 || (maximize_ ? v > best_ + options_.min_delta : v < best_ - options_.min_delta));
  if (improved) {
    best_ = v;
    best_epoch_ = epoch;
    wait_ = 0;
    if (options_.restore_best_weights && model_ != nullptr) {
      const auto state = model_state(*model_);
      best_weights_.resize(state.size());
      for (size_t i = 0; i < state.size(); ++i) best_weights_[i].copy_from(*state[i]);
    }
    return;
  }
  if (++wait_ >= options_.patience) {
    stopped_epoch_ = epoch;
    if (best_epoch_ < 0) {
      request_stop(detail::concat("early stopping: ", options_.monitor, " was NaN for ", wait_,
                                  " epochs (last epoch ", epoch + 1, ")"));
    } else {
      request_stop(detail::concat("early stopping: ", options_.monitor, " did not improve on ", best_, " (epoch ",
                                  best_epoch_ + 1, ") for ", wait_, " epochs; stopped after epoch ", epoch + 1));
    }
  }
}

void EarlyStopping::on_train_end(const History& /*history*/) {
  if (!options_.restore_best_weights || model_ == nullptr || best_epoch_ < 0 || best_weights_.empty()) return;
  const auto state = model_state(*model_);
  NN_CHECK(state.size() == best_weights_.size(), "EarlyStopping: the model has ", state.size(),
           " parameters and buffers, the saved best state ", best_weights_.size());
  for (size_t i = 0; i < state.size(); ++i) state[i]->copy_from(best_weights_[i]);
}

}  // namespace nn::train
