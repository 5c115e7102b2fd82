#include "nn/dist/grad_allreduce.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "nn/dist/dist.hpp"
#include "nn/error.hpp"
#include "check_mpi.hpp"

#if NN_HAVE_MPI
#include <mpi.h>
#endif

namespace nn::dist {

namespace {

// Walks the flat range [begin, begin + count) of the parameters laid end to end (offsets: their
// prefix sums), calling f(parameter index, offset in it, offset in the range, length) per piece.
template <class F>
void for_each_segment(const std::vector<int64_t>& offsets, int64_t begin, int64_t count, F&& f) {
  auto it = std::upper_bound(offsets.begin(), offsets.end(), begin);
  size_t i = static_cast<size_t>(it - offsets.begin()) - 1;
  for (int64_t done = 0; done < count; ++i) {
    const int64_t at = begin + done - offsets[i];
    const int64_t n = std::min(count - done, offsets[i + 1] - offsets[i] - at);
    f(i, at, done, n);
    done += n;
  }
}

#if NN_HAVE_MPI
void check_mpi(int rc, const char* what) {
  detail::check_mpi(rc, what, " in the gradient all-reduce", rank(), size());
}
#endif

// Chunk k of n floats split over p ranks: [n k / p, n (k + 1) / p).
inline int64_t chunk_begin(int64_t n, int64_t k, int64_t p) { return n * k / p; }

}  // namespace

GradientAllReduce::GradientAllReduce(std::vector<Parameter*> params, int64_t bucket_bytes)
    : params_(std::move(params)), bucket_floats_(bucket_bytes / static_cast<int64_t>(sizeof(float))) {
  NN_CHECK(bucket_bytes >= 4096, "GradientAllReduce: expected a bucket of at least 4096 bytes, found ", bucket_bytes);
  for (const Parameter* p : params_) NN_CHECK(p != nullptr, "GradientAllReduce: a parameter pointer is null");
}

void GradientAllReduce::layout() {
  offsets_.assign(params_.size() + 1, 0);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Parameter& p = *params_[i];
    NN_CHECK(p.grad.numel() == p.data.numel(), "GradientAllReduce: parameter '", p.name, "' has ", p.data.numel(),
             " values but a gradient of ", p.grad.numel(), " (run backward before all_reduce)");
    offsets_[i + 1] = offsets_[i] + p.data.numel();
  }
  total_ = offsets_.back();
  const int64_t bucket = std::min(bucket_floats_, std::max<int64_t>(total_, 1));
  bucket_floats_ = bucket;
  bucket_.assign(static_cast<size_t>(bucket + kMaxStats), 0.0f);  // + room for the statistics
  recv_.assign(static_cast<size_t>((bucket + kMaxStats) / std::max(size(), 1) + 1), 0.0f);
  // Every rank must reduce the same number of values, or the ring would pair unrelated buffers.
  check_same(total_, "the number of gradient values");
  check_same(static_cast<int64_t>(params_.size()), "the number of parameters");
}

// Copies the flat range [begin, begin + count) of the gradients into the bucket, times scale.
void GradientAllReduce::pack(int64_t begin, int64_t count, float scale) {
  for_each_segment(offsets_, begin, count, [&](size_t i, int64_t at, int64_t done, int64_t n) {
    const float* g = params_[i]->grad.data() + at;
    float* b = bucket_.data() + done;
    if (scale == 0.0f) {
      std::fill(b, b + n, 0.0f);  // a rank without samples adds nothing (not even 0 * NaN)
    } else {
      for (int64_t k = 0; k < n; ++k) b[k] = g[k] * scale;
    }
  });
}

void GradientAllReduce::unpack(int64_t begin, int64_t count) {
  for_each_segment(offsets_, begin, count, [&](size_t i, int64_t at, int64_t done, int64_t n) {
    std::memcpy(params_[i]->grad.data() + at, bucket_.data() + done, static_cast<size_t>(n) * sizeof(float));
  });
}

void GradientAllReduce::all_reduce(int64_t local_samples, int64_t global_samples, std::span<double> stats) {
  NN_CHECK(global_samples > 0 && local_samples >= 0 && local_samples <= global_samples,
           "GradientAllReduce: expected 0 <= local samples <= global samples and global samples > 0, found ",
           local_samples, " of ", global_samples);
  NN_CHECK(static_cast<int64_t>(stats.size()) <= kMaxStats, "GradientAllReduce: at most ", kMaxStats,
           " statistics, found ", stats.size());
  const auto t0 = std::chrono::steady_clock::now();
  if (total_ < 0) layout();
  const float scale = static_cast<float>(static_cast<double>(local_samples) / static_cast<double>(global_samples));
  if (size() > 1) {
    // The statistics ride in the last bucket (as float32), so a step costs one ring, not more
    // collectives: latency, not bandwidth, is what small models pay for.
    const auto n_stats = static_cast<int64_t>(stats.size());
    for (int64_t begin = 0; begin < std::max<int64_t>(total_, 1); begin += bucket_floats_) {
      const int64_t count = std::min(bucket_floats_, total_ - begin);
      const bool last = begin + bucket_floats_ >= total_;
      pack(begin, count, scale);
      if (last)
        for (int64_t k = 0; k < n_stats; ++k) bucket_[static_cast<size_t>(count + k)] = static_cast<float>(stats[static_cast<size_t>(k)]);
      ring_sum(std::span<float>(bucket_.data(), static_cast<size_t>(count + (last ? n_stats : 0))));
      unpack(begin, count);
      if (last)
        for (int64_t k = 0; k < n_stats; ++k) stats[static_cast<size_t>(k)] = bucket_[static_cast<size_t>(count + k)];
    }
  }
  // One rank: the local gradient is already the global batch's (local == global).
  ++calls_;
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void GradientAllReduce::ring_sum(std::span<float> data) {
#if NN_HAVE_MPI
  const int p = size();
  if (p == 1 || data.empty()) return;
  const int r = rank();
  const int right = (r + 1) % p, left = (r + p - 1) % p;
  const auto n = static_cast<int64_t>(data.size());
  const int64_t most = (n + p - 1) / p + 1;
  if (static_cast<int64_t>(recv_.size()) < most) recv_.resize(static_cast<size_t>(most));  // ring_sum called directly
  auto chunk = [&](int64_t k) {
    k = ((k % p) + p) % p;
    const int64_t b = chunk_begin(n, k, p), e = chunk_begin(n, k + 1, p);
    return std::pair<int64_t, int64_t>{b, e - b};
  };
  // Reduce-scatter: in step s, send chunk r - s to the right, receive chunk r - s - 1 from the
  // left and add it in. After p - 1 steps rank r holds the full sum of chunk r + 1, accumulated
  // from rank r + 1's values, then r + 2's, ..., its own last (mod p): the same order in every run
  // with p ranks.
  for (int s = 0; s < p - 1; ++s) {
    const auto [sb, sn] = chunk(r - s);
    const auto [rb, rn] = chunk(r - s - 1);
    check_mpi(MPI_Sendrecv(data.data() + sb, static_cast<int>(sn), MPI_FLOAT, right, 17, recv_.data(),
                           static_cast<int>(rn), MPI_FLOAT, left, 17, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Sendrecv (reduce-scatter)");
    float* d = data.data() + rb;
    for (int64_t k = 0; k < rn; ++k) d[k] = recv_[static_cast<size_t>(k)] + d[k];
  }
  // All-gather: pass the summed chunks around the ring.
  for (int s = 0; s < p - 1; ++s) {
    const auto [sb, sn] = chunk(r + 1 - s);
    const auto [rb, rn] = chunk(r - s);
    check_mpi(MPI_Sendrecv(data.data() + sb, static_cast<int>(sn), MPI_FLOAT, right, 18, data.data() + rb,
                           static_cast<int>(rn), MPI_FLOAT, left, 18, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Sendrecv (all-gather)");
  }
#else
  (void)data;
#endif
}

void GradientAllReduce::broadcast_parameters(Module& model) {
  if (size() == 1) return;
  int64_t count = 0;
  for (Parameter* p : model.parameters()) count += p->data.numel();
  for (Tensor* b : model.buffers()) count += b->numel();
  check_same(count, "the number of model values (parameters and buffers)");
  for (Parameter* p : model.parameters()) broadcast(std::span<float>(p->data.data(), static_cast<size_t>(p->data.numel())));
  for (Tensor* b : model.buffers()) broadcast(std::span<float>(b->data(), static_cast<size_t>(b->numel())));
}

}  // namespace nn::dist
