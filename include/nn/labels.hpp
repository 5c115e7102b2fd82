/// @file
/// nn::Labels: class labels, one class index per sample, as datasets hold them and losses and
/// metrics read them.
#pragma once

#include <cstdint>
#include <span>

namespace nn {

/// Class labels: one class index in [0, classes) per sample, in batch order. A view; the owner
/// (a Dataset, a DataLoader's batch buffer, a std::vector<int32_t>) keeps the storage and must
/// outlive it.
using Labels = std::span<const int32_t>;

}  // namespace nn
