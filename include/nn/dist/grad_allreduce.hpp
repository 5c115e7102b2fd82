/// @file
/// GradientAllReduce: averages the gradients of a model's parameters over the ranks of a
/// data-parallel run, between backward and the optimizer step. The Trainer uses it; a hand-written
/// training loop calls it the same way:
///
///     nn::dist::init();
///     nn::dist::GradientAllReduce sync(model.parameters());
///     sync.broadcast_parameters(model);            // every rank starts from rank 0's weights
///     for (each global batch of B samples) {
///       take this rank's n of them; optimizer.zero_grad(); forward; loss; backward;
///       sync.all_reduce(n, B);                     // grads = the batch-B mean gradient
///       optimizer.step();
///     }
///
/// The gradients are copied into buckets of a fixed size (4 MiB by default), each scaled by n / B
/// on the way, and each bucket is summed over the ranks by a ring all-reduce on point-to-point
/// messages: a reduce-scatter then an all-gather, 2 (N-1) / N of the bucket sent per rank. The
/// ring's additions happen in an order fixed by the number of ranks, so a run is reproducible for
/// a fixed rank count (MPI_Allreduce may switch algorithms, and with them the order). Buffers are
/// sized on the first call and reused: the steady state allocates nothing.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "nn/layers/module.hpp"

namespace nn::dist {

/// Sums float arrays over the ranks with a ring all-reduce in a fixed order (see above).
class NN_API GradientAllReduce {
 public:
  /// The default bucket: 4 MiB of float32.
  static constexpr int64_t kDefaultBucketBytes = int64_t{4} << 20;
  /// The most statistics one all_reduce carries.
  static constexpr int64_t kMaxStats = 16;

  /// Reduces the gradients of `params` (their sizes are read on the first all_reduce, so lazily
  /// sized layers may be handed over before their first forward). bucket_bytes: at least 4 KiB.
  explicit GradientAllReduce(std::vector<Parameter*> params, int64_t bucket_bytes = kDefaultBucketBytes);

  /// Replaces every rank's gradient g_r by sum_r (local_samples_r / global_samples) g_r: with
  /// each rank's loss the mean over its local_samples_r samples of a global batch of
  /// global_samples, the result is the gradient of the global batch's mean loss. A rank with no
  /// sample of this batch passes 0 (its gradients are ignored). `stats`, if given (at most
  /// kMaxStats values), are summed over the ranks in the same ring, in float32 (exact for counts
  /// up to 2^24; about 7 digits for a loss). Collective.
  void all_reduce(int64_t local_samples, int64_t global_samples, std::span<double> stats = {});

  /// Sums `data` over the ranks in place with the ring (any size; used for each bucket). Collective.
  void ring_sum(std::span<float> data);

  /// Copies rank 0's parameters and buffers (BatchNorm's running statistics) into `model` on
  /// every rank. Collective; the model must have the same shapes on every rank.
  static void broadcast_parameters(Module& model);

  /// The parameters reduced.
  const std::vector<Parameter*>& params() const { return params_; }
  /// Number of floats reduced per step (0 before the first all_reduce).
  int64_t numel() const { return total_; }
  /// Seconds spent in all_reduce since construction (packing, messages, unpacking).
  double seconds() const { return seconds_; }
  /// Number of all_reduce calls.
  int64_t calls() const { return calls_; }

 private:
  void layout();
  void pack(int64_t begin, int64_t count, float scale);
  void unpack(int64_t begin, int64_t count);

  std::vector<Parameter*> params_;
  std::vector<int64_t> offsets_;  // prefix sums of the parameters' sizes
  int64_t bucket_floats_;
  int64_t total_ = -1;
  std::vector<float> bucket_;
  std::vector<float> recv_;
  double seconds_ = 0.0;
  int64_t calls_ = 0;
};

}  // namespace nn::dist
