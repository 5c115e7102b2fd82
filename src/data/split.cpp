#include "nn/data/split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>

#include "nn/error.hpp"
#include "nn/random.hpp"

namespace nn::data {

namespace {

int64_t part_size(double fraction, int64_t n) {
  // ceil, forgiving the rounding error of fraction * n (0.2 * 150 must give 30, not 31).
  return static_cast<int64_t>(std::ceil(fraction * static_cast<double>(n) - 1e-9));
}

// Takes `n_take` of `pool` (shuffled with rng) into `taken`, the rest into `rest`. With stratify,
// the per-class counts are the largest-remainder rounding of the class's share of n_take.
void take(const Dataset& data, std::vector<int64_t> pool, int64_t n_take, Rng& rng, bool stratify,
          std::vector<int64_t>& taken, std::vector<int64_t>& rest) {
  taken.clear();
  rest.clear();
  if (!stratify) {
    rng.shuffle(std::span<int64_t>(pool));
    taken.assign(pool.begin(), pool.begin() + n_take);
    rest.assign(pool.begin() + n_take, pool.end());
    return;
  }
  const int64_t k = data.num_classes();
  const auto& labels = data.labels();
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(k));
  for (int64_t i : pool) by_class[static_cast<size_t>(labels[static_cast<size_t>(i)])].push_back(i);
  const auto total = static_cast<int64_t>(pool.size());
  std::vector<int64_t> quota(static_cast<size_t>(k));
  std::vector<std::pair<double, int64_t>> remainders;  // (fractional part, class)
  int64_t assigned = 0;
  for (int64_t c = 0; c < k; ++c) {
    const double exact =
        static_cast<double>(n_take) * static_cast<double>(by_class[static_cast<size_t>(c)].size()) /
        static_cast<double>(total);
    const auto whole = static_cast<int64_t>(std::floor(exact));
    quota[static_cast<size_t>(c)] = whole;
    assigned += whole;
    remainders.emplace_back(exact - static_cast<double>(whole), c);
  }
  // The samples still to place go to the classes with the largest remainders (ties: lower class).
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t r = 0; assigned < n_take && r < remainders.size(); ++r) {
    const auto c = static_cast<size_t>(remainders[r].second);
    if (quota[c] < static_cast<int64_t>(by_class[c].size())) {
      ++quota[c];
      ++assigned;
    }
  }
  for (int64_t c = 0; c < k; ++c) {
    auto& members = by_class[static_cast<size_t>(c)];
    rng.shuffle(std::span<int64_t>(members));
    const int64_t q = quota[static_cast<size_t>(c)];
    taken.insert(taken.end(), members.begin(), members.begin() + q);
    rest.insert(rest.end(), members.begin() + q, members.end());
  }
  rng.shuffle(std::span<int64_t>(taken));
  rng.shuffle(std::span<int64_t>(rest));
}

void check_fraction(double f, const char* what) {
  NN_CHECK(f >= 0.0 && f < 1.0, "train_test_split: expected a ", what, " fraction in [0, 1), found ", f);
}

void check_stratify(const Dataset& data, bool stratify) {
  NN_CHECK(!stratify || data.is_classification(),
           "train_test_split: stratify needs a classification dataset, found a regression dataset");
}

std::vector<int64_t> all_indices(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

}  // namespace

SplitIndices train_test_split_indices(const Dataset& data, double test_fraction, uint64_t seed, bool stratify) {
  check_fraction(test_fraction, "test");
  check_stratify(data, stratify);
  const int64_t n = data.size();
  const int64_t n_test = part_size(test_fraction, n);
  NN_CHECK(n_test < n || n == 0, "train_test_split: a test fraction of ", test_fraction, " of ", n,
           " samples leaves no training samples");
  Rng rng(seed);
  SplitIndices s;
  take(data, all_indices(n), n_test, rng, stratify, s.test, s.train);
  return s;
}

std::pair<Dataset, Dataset> train_test_split(const Dataset& data, double test_fraction, uint64_t seed,
                                             bool stratify) {
  const SplitIndices s = train_test_split_indices(data, test_fraction, seed, stratify);
  return {data.subset(s.train), data.subset(s.test)};
}

TrainValTest train_val_test_split(const Dataset& data, double val_fraction, double test_fraction, uint64_t seed,
                                  bool stratify) {
  check_fraction(val_fraction, "validation");
  check_fraction(test_fraction, "test");
  check_stratify(data, stratify);
  const int64_t n = data.size();
  const int64_t n_test = part_size(test_fraction, n), n_val = part_size(val_fraction, n);
  NN_CHECK(n_test + n_val < n || n == 0, "train_val_test_split: validation fraction ", val_fraction,
           " and test fraction ", test_fraction, " of ", n, " samples leave no training samples");
  Rng rng(seed);
  std::vector<int64_t> test, rest, val, train;
  take(data, all_indices(n), n_test, rng, stratify, test, rest);
  take(data, std::move(rest), n_val, rng, stratify, val, train);
  return {data.subset(train), data.subset(val), data.subset(test)};
}

}  // namespace nn::data
