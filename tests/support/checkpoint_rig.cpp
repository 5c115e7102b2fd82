#include "checkpoint_rig.hpp"

#include <bit>
#include <numeric>
#include <span>

#include "nn/data/synthetic.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/linear.hpp"
#include "support.hpp"

namespace nn::test {

namespace train = nn::train;
using nn::data::Dataset;
using nn::io::CheckpointState;
using nlohmann::json;

std::vector<uint32_t> weight_bits(nn::Module& m) {
  std::vector<uint32_t> out;
  for (auto* p : m.parameters()) {
    auto b = bits(p->data);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

std::vector<uint64_t> series_bits(const train::History& h, const char* name) {
  std::vector<uint64_t> out;
  for (double v : h.series(name)) out.push_back(std::bit_cast<uint64_t>(v));
  return out;
}

Split blobs() {
  Dataset all = nn::data::make_blobs({.n_samples = 1000, .n_features = 2, .centers = 3, .cluster_std = 2.5, .seed = 4});
  auto [train, val] = shuffled_split(all, 800, 9);
  Split s{std::move(train), std::move(val)};
  for (Dataset* d : {&s.train, &s.val}) {
    nn::Tensor& x = d->mutable_features();
    for (float& v : x.span()) v /= 10.0f;
  }
  return s;
}

nn::Sequential mlp(uint64_t seed, bool regularized) {
  nn::manual_seed(seed);
  if (regularized)
    return nn::Sequential(nn::Linear(2, 16), nn::BatchNorm1d(16), nn::ReLU(), nn::Dropout(0.3f), nn::Linear(16, 3));
  return nn::Sequential(nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 3));
}

void LossLog::on_batch_end(const train::BatchEnd& b) {
  steps.push_back(b.step);
  losses.push_back(std::bit_cast<uint32_t>(b.loss));
}

void StopAtStep::on_batch_end(const train::BatchEnd& b) {
  if (b.step == step_) request_stop("checkpoint");
}

void StopAtEpochEnd::on_epoch_end(int64_t epoch, const train::EpochRecord&) {
  if (epoch == epoch_) request_stop("checkpoint");
}

Rig::Rig(Opt kind, uint64_t seed, bool regularized) : model(mlp(seed, regularized)) {
  if (kind == Opt::sgd)
    optimizer = std::make_unique<nn::SGD>(model.parameters(), nn::SGDOptions{.lr = 0.05f, .momentum = 0.9f});
  else
    optimizer = std::make_unique<nn::Adam>(model.parameters(), nn::AdamOptions{.lr = 0.01f, .amsgrad = true});
  scheduler = std::make_unique<nn::StepLR>(*optimizer, 1, 0.5f);
}

json settings_of(Rig& s, const std::string& data) {
  return {{"model", "linear:16,relu,linear:3"}, {"data", data}, {"optimizer", nn::io::optimizer_settings(*s.optimizer)},
          {"loss", s.loss.type_name()}, {"batch_size", kFit.batch_size}, {"seed", kFit.seed}};
}

Full uninterrupted(Opt kind, const Split& data, bool regularized) {
  Rig s(kind, 7, regularized);
  LossLog log;
  train::Trainer t({&log});
  Full f;
  f.history = t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get());
  f.weights = weight_bits(s.model);
  f.losses = log.losses;
  f.rng = nn::global_rng().state();
  f.lr = s.optimizer->lr();
  return f;
}

CheckpointState trained_state(Rig& s, const Split& data) {
  StopAtStep stop(30);  // epoch 1, batch 5
  train::Trainer t({&stop});
  const auto h = t.fit(s.model, s.loss, *s.optimizer, data.train, &data.val, kFit, s.scheduler.get());
  CheckpointState st;
  nn::global_rng().normal();  // a cached spare normal in the RNG state
  nn::io::capture_training_state(st, s.model, *s.optimizer, s.scheduler.get());
  st.epoch = 1;
  st.batch = 5;
  st.step = 30;
  st.history = h;
  st.monitor = "val_loss";
  st.best = h[0].val_loss;
  st.best_epoch = 0;
  st.settings = settings_of(s);
  st.metadata["nn.note"] = "a test";
  return st;
}

}  // namespace nn::test
