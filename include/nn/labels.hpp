// Class labels: one class index per sample, as datasets hold them and losses and metrics read
// them. A view; the owner (a Dataset, a DataLoader's batch buffer) keeps the storage.
#pragma once

#include <cstdint>
#include <span>

namespace nn {

using Labels = std::span<const int32_t>;

}  // namespace nn
