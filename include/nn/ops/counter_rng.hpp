/// @file
/// A counter-based random generator, Philox-4x32-10 (Salmon et al., "Parallel random numbers: as
/// easy as 1, 2, 3", SC 2011), written once for the host and for CUDA devices. A random word is a
/// pure function of (key, counter), so element i of a dropout mask can be computed by any thread,
/// in any order, on either device, and the CPU and the GPU draw the same mask bit for bit.
#pragma once

#include <array>
#include <cstdint>

#if defined(__CUDACC__)
#define NN_HOST_DEVICE __host__ __device__
#else
#define NN_HOST_DEVICE
#endif

namespace nn {

/// Philox-4x32 with 10 rounds: four 32-bit random words for a 128-bit counter and a 64-bit key.
/// The same output as Random123's philox4x32_10 (its known-answer vectors are tested).
struct Philox4x32 {
  /// Four 32-bit words (a counter or an output block).
  struct Block {
    uint32_t v[4];  ///< the words
  };
  /// philox4x32_10(counter, key).
  NN_HOST_DEVICE static Block run(Block ctr, uint32_t key0, uint32_t key1) {
    constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = static_cast<uint64_t>(kM0) * ctr.v[0];
      const uint64_t p1 = static_cast<uint64_t>(kM1) * ctr.v[2];
      const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      ctr = Block{{hi1 ^ ctr.v[1] ^ key0, lo1, hi0 ^ ctr.v[3] ^ key1, lo0}};
      key0 += kW0;
      key1 += kW1;
    }
    return ctr;
  }
};

/// The four random words of group `group` (elements 4*group .. 4*group+3) of draw `offset` under
/// `seed`: philox4x32_10(counter = (group, offset) as four little-endian words, key = seed).
NN_HOST_DEVICE inline Philox4x32::Block counter_rng_block(uint64_t seed, uint64_t offset, uint64_t group) {
  return Philox4x32::run(Philox4x32::Block{{static_cast<uint32_t>(group), static_cast<uint32_t>(group >> 32),
                                            static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)}},
                         static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

/// A word as a uniform float in [0, 1): its top 24 bits times 2^-24 (exact in float, so the host
/// and the device agree on every comparison).
NN_HOST_DEVICE inline float counter_rng_uniform(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

/// Whether dropout keeps element `index` of draw `offset` under `seed` with drop probability p:
/// uniform(word index % 4 of group index / 4) >= p. p = 0 keeps everything, p = 1 nothing.
NN_HOST_DEVICE inline bool dropout_keeps(uint64_t seed, uint64_t offset, uint64_t index, float p) {
  const Philox4x32::Block b = counter_rng_block(seed, offset, index >> 2);
  return counter_rng_uniform(b.v[index & 3u]) >= p;
}

}  // namespace nn
