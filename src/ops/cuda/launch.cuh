// Shared pieces of nn's CUDA kernels: launch geometry, the stream, fixed-order block reductions.
// Included only by the .cu files of src/ops/cuda/.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "../../cuda/runtime.hpp"

namespace nn::ops::cuda {

constexpr int kThreads = 256;         // threads per block of the element-wise kernels
constexpr int kReduceThreads = 256;   // threads per block of the reductions (a power of two)
constexpr int64_t kMaxBlocks = 8192;  // grid-stride loops cover the rest

// Blocks for n elements at `per_block` elements per block, at least 1, at most kMaxBlocks.
inline unsigned blocks_for(int64_t n, int64_t per_block = kThreads) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + per_block - 1) / per_block, 1, kMaxBlocks));
}

inline cudaStream_t stream() { return nn::cuda::detail::stream(); }

// After every launch: a launch error becomes nn::Error naming the kernel.
inline void launched(const char* kernel) { nn::cuda::detail::check_launch(kernel); }

// A grid-stride loop over [0, n) with 64-bit indices.
#define NN_CUDA_FOR(i, n)                                                                      \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);       \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// The sum of every thread's v over the block, in a fixed tree order (bit-for-bit repeatable); the
// result is valid in every thread. `shared` holds blockDim.x values; blockDim.x a power of two.
template <class T>
__device__ inline T block_sum(T v, T* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  const T total = shared[0];
  __syncthreads();
  return total;
}

// The largest of every thread's v over the block (NaN-propagating when `nan_wins`).
template <class T>
__device__ inline T block_max(T v, T* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      const T a = shared[threadIdx.x], b = shared[threadIdx.x + s];
      shared[threadIdx.x] = (a != a || b != b) ? (a != a ? a : b) : (a > b ? a : b);
    }
    __syncthreads();
  }
  const T total = shared[0];
  __syncthreads();
  return total;
}

}  // namespace nn::ops::cuda
