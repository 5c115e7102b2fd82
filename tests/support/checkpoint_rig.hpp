// What the checkpoint tests share (checkpoint_state_test.cpp, checkpoint_writer_test.cpp): the
// blobs data, a small MLP with its optimizer and scheduler, the run settings, callbacks that log or
// stop, an uninterrupted reference run, a captured training state, and bit patterns to compare.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/data/dataset.hpp"
#include "nn/io/checkpoint.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/losses/loss.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/random.hpp"
#include "nn/train/callbacks.hpp"
#include "nn/train/trainer.hpp"

namespace nn::test {

// The bit patterns of all parameters of m, in order.
std::vector<uint32_t> weight_bits(nn::Module& m);
// The bit patterns of one series of a History.
std::vector<uint64_t> series_bits(const nn::train::History& h, const char* name);

struct Split {
  nn::data::Dataset train, val;
};

// 1000 blobs of 3 classes; 800 train, 200 validate (25 batches of 32 per epoch).
Split blobs();

// With `regularized`, a BatchNorm (buffers) and a Dropout (its own generator) in the middle.
nn::Sequential mlp(uint64_t seed, bool regularized = false);

// Records the loss of every step.
class LossLog : public nn::train::Callback {
 public:
  void on_batch_end(const nn::train::BatchEnd& b) override;
  std::vector<int64_t> steps;
  std::vector<uint32_t> losses;
};

class StopAtStep : public nn::train::Callback {
 public:
  explicit StopAtStep(int64_t step) : step_(step) {}
  void on_batch_end(const nn::train::BatchEnd& b) override;

 private:
  int64_t step_;
};

class StopAtEpochEnd : public nn::train::Callback {
 public:
  explicit StopAtEpochEnd(int64_t epoch) : epoch_(epoch) {}
  void on_epoch_end(int64_t epoch, const nn::train::EpochRecord&) override;

 private:
  int64_t epoch_;
};

enum class Opt { sgd, adam };

// A model, optimizer and scheduler; `seed` decides the initial weights.
struct Rig {
  explicit Rig(Opt kind, uint64_t seed = 7, bool regularized = false);
  nn::Sequential model;
  nn::SoftmaxCrossEntropyLoss loss;
  std::unique_ptr<nn::Optimizer> optimizer;
  std::unique_ptr<nn::Scheduler> scheduler;
};

inline const nn::train::FitOptions kFit{.epochs = 3, .batch_size = 32, .seed = 21};

nlohmann::json settings_of(Rig& s, const std::string& data = "blobs:3");

struct Full {
  std::vector<uint32_t> weights;
  std::vector<uint32_t> losses;
  nn::train::History history;
  nn::Rng::State rng;
  float lr = 0.0f;
};

// The uninterrupted run of kFit from Rig(kind, 7, regularized).
Full uninterrupted(Opt kind, const Split& data, bool regularized = false);

// Trains a few steps so that the optimizer has state, and captures everything.
nn::io::CheckpointState trained_state(Rig& s, const Split& data);

}  // namespace nn::test
