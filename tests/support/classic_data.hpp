// What the classic neuron tests share (perceptron_test.cpp, adaline_test.cpp, classic_test.cpp):
// standardised datasets, four points to follow by hand, and the initial weights the neurons draw.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/data/dataset.hpp"

namespace nn::test::classic_data {

// Each feature shifted to mean 0 and scaled to standard deviation 1 (population std).
nn::data::Dataset standardised(const nn::data::Dataset& d);

// Four points in 2-D, labels 0/1, small enough to follow by hand.
nn::data::Dataset tiny();

// The n initial weights drawn from nn::Rng(seed): normal with mean 0 and deviation 0.01.
std::vector<double> initial_weights(uint64_t seed, int64_t n);

}  // namespace nn::test::classic_data
