// What the Trainer tests share (trainer_test.cpp, early_stopping_test.cpp, progress_test.cpp):
// standardised 2-D blobs split into training and validation sets, a small MLP, and its weights.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/layers/sequential.hpp"

namespace nn::test::trainer_rig {

struct Split {
  nn::data::Dataset train, val;
};

// 1000 blobs of `centers` classes, 2 features; the first 800 train, the last 200 validate. Every
// feature is standardised with the training set's mean and deviation.
Split blobs(int64_t centers = 3);

// Linear(2, 16), ReLU, Linear(16, outputs), initialised after nn::manual_seed(seed).
nn::Sequential mlp(int64_t outputs, uint64_t seed = 7);

// All parameter values of m, in order.
std::vector<float> weights(nn::Module& m);

}  // namespace nn::test::trainer_rig
