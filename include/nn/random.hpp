/// @file
/// nn::Rng, the random number generator and the distributions nn uses, and the process-wide
/// generator (nn::manual_seed). They are nn's own so that the same seed gives the same numbers
/// with every compiler and standard library.
#pragma once

#include "nn/export.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace nn {

/// A pseudo-random generator: xoshiro256** seeded through splitmix64; normal() by the
/// Box-Muller transform. The same seed gives the same sequence on every platform. Not
/// thread-safe: give each thread its own Rng. Dropout, data loaders and weight initialisation
/// each draw from one.
/// @code
/// nn::Rng rng(42);
/// double u = rng.uniform();      // [0, 1)
/// uint64_t k = rng.below(10);    // 0..9
/// @endcode
class NN_API Rng {
 public:
  /// A generator seeded with `seed` (see seed_with()).
  explicit Rng(uint64_t seed = 0) { seed_with(seed); }
  /// Restarts the sequence from `seed`: the four state words come from splitmix64(seed), and the
  /// cached normal value is dropped.
  void seed_with(uint64_t seed);

  uint64_t next_u64();                       ///< the next 64 raw random bits
  double uniform();                          ///< [0, 1), 53 random bits
  double uniform(double low, double high);   ///< [low, high)
  /// Writes the next out.size() values of uniform() into `out`, in order: the same numbers as a
  /// call per value, without a call per value (Dropout draws its masks this way).
  void fill_uniform(std::span<double> out);
  double normal();                           ///< N(0, 1)
  double normal(double mean, double stddev);  ///< N(mean, stddev^2): mean + stddev * normal()
  uint64_t below(uint64_t n);                ///< uniform on {0, ..., n-1}, unbiased; n > 0
  /// Shuffles `items` in place, uniformly (Fisher-Yates, drawing with below()).
  template <class T>
  void shuffle(std::span<T> items) {
    for (size_t i = items.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(below(i));
      std::swap(items[i - 1], items[j]);
    }
  }

  /// The whole state, for checkpoints: four words of xoshiro, the cached normal and its flag.
  struct State {
    std::array<uint64_t, 4> s{};  ///< the xoshiro256** state words
    double spare = 0.0;           ///< the second value of the last Box-Muller pair
    bool has_spare = false;       ///< whether the next normal() returns `spare`
    bool operator==(const State&) const = default;  ///< the same state: the same future sequence
  };
  /// The whole state: a generator given it by set_state() continues with the same numbers.
  State state() const { return {s_, spare_, has_spare_}; }
  /// Restores a state from state(), e.g. when resuming from a checkpoint.
  void set_state(const State& st) { s_ = st.s; spare_ = st.spare; has_spare_ = st.has_spare; }

 private:
  std::array<uint64_t, 4> s_{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

/// The process-wide generator that layers draw their initial weights from, like
/// torch.manual_seed. Seeded with 0 at start-up. The reference lives for the whole process. Not
/// thread-safe: build models on one thread.
NN_API Rng& global_rng();
/// Reseeds global_rng() with `seed`, so that the models built afterwards get the same initial
/// weights on every run (like torch.manual_seed).
NN_API void manual_seed(uint64_t seed);

}  // namespace nn
