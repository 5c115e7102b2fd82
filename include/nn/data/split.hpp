/// @file
/// @brief Train/test (and train/validation/test) splits of a Dataset, drawn from one seed.
///
/// With `stratify`, every class is split in the dataset's proportions: a class of c samples puts
/// c * test_fraction samples (rounded down or up, never off by a whole sample) into the test part.
/// The same dataset, fractions and seed always give the same split.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "nn/data/dataset.hpp"

namespace nn::data {

/// The sample indices of each part, each part in a random order.
struct NN_API SplitIndices {
  std::vector<int64_t> train;  ///< the indices of the training samples
  std::vector<int64_t> test;   ///< the indices of the test samples
};

/// ceil(test_fraction * N) samples go to the test part (as scikit-learn's train_test_split);
/// test_fraction is in [0, 1). Stratifying needs a classification dataset.
/// @throws nn::Error for a fraction outside [0, 1), a test part that would take every sample, or
/// stratify on a regression dataset.
NN_API SplitIndices train_test_split_indices(const Dataset& data, double test_fraction, uint64_t seed,
                                             bool stratify = false);
/// The two parts of train_test_split_indices as new datasets (train, test), copies of the samples.
NN_API std::pair<Dataset, Dataset> train_test_split(const Dataset& data, double test_fraction, uint64_t seed,
                                                    bool stratify = false);

/// The three parts of train_val_test_split.
struct NN_API TrainValTest {
  Dataset train;  ///< the training part
  Dataset val;    ///< the validation part
  Dataset test;   ///< the test part
};
/// ceil(test_fraction * N) samples to test, ceil(val_fraction * N) to validation, the rest to
/// train; fractions are in [0, 1) with a sum below 1 (a fraction 0 gives an empty part).
/// @throws nn::Error as train_test_split_indices, or when the two fractions leave no training sample.
NN_API TrainValTest train_val_test_split(const Dataset& data, double val_fraction, double test_fraction, uint64_t seed,
                                         bool stratify = false);

}  // namespace nn::data
