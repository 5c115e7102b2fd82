// The random number generator and the distributions nn uses. They are our own so that the same
// seed gives the same numbers with every compiler and standard library.
#pragma once

#include "nn/export.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace nn {

/// xoshiro256** seeded through splitmix64; normal() by the Box-Muller transform.
class NN_API Rng {
 public:
  explicit Rng(uint64_t seed = 0) { seed_with(seed); }
  void seed_with(uint64_t seed);

  uint64_t next_u64();
  double uniform();                          ///< [0, 1), 53 random bits
  double uniform(double low, double high);   ///< [low, high)
  double normal();                           ///< N(0, 1)
  double normal(double mean, double stddev);
  uint64_t below(uint64_t n);                ///< uniform on {0, ..., n-1}, unbiased; n > 0
  template <class T>
  /// Fisher-Yates
  void shuffle(std::span<T> items) {
    for (size_t i = items.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(below(i));
      std::swap(items[i - 1], items[j]);
    }
  }

  /// The whole state, for checkpoints: four words of xoshiro, the cached normal and its flag.
  struct State {
    std::array<uint64_t, 4> s{};
    double spare = 0.0;
    bool has_spare = false;
    bool operator==(const State&) const = default;
  };
  State state() const { return {s_, spare_, has_spare_}; }
  void set_state(const State& st) { s_ = st.s; spare_ = st.spare; has_spare_ = st.has_spare; }

 private:
  std::array<uint64_t, 4> s_{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

/// The process-wide generator that layers draw their initial weights from, like
/// torch.manual_seed. Not thread-safe: build models on one thread.
NN_API Rng& global_rng();
NN_API void manual_seed(uint64_t seed);

}  // namespace nn
