// Batch normalisation kernels on x viewed as (N, C, L): one channel c normalised over its N*L
// values (L = 1 for (N, C), H*W for (N, C, H, W)). gamma/beta may be null (no affine: 1 and 0);
// dgamma/dbeta null skip those gradients, dx null skips dx. Channels are processed in parallel,
// each by one thread in a fixed order, so results do not depend on the thread count. Sums are
// accumulated in double, in 8 partial sums (a channel's values dealt out in turn) added in a fixed
// tree. Training reads x twice forward (the sum and sum of squares of x minus the channel's first
// value in one pass, then the output) and x and dy twice backward (the two sums, then dx).
#pragma once

#include <cstdint>

namespace nn::ops {

/// Training: per channel mean and biased variance over (N, L); y = (x - mean) invstd gamma + beta
/// with invstd = 1 / sqrt(var + eps). Writes mean (C), var (C, biased) and invstd (C).
void batch_norm_forward_train(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* var, float* invstd);
/// Evaluation: y = (x - running_mean) / sqrt(running_var + eps) gamma + beta.
void batch_norm_forward_eval(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var, float eps,
                             float* y);
/// The exact derivative through the batch statistics, with xhat = (x - mean) invstd and M = N*L:
/// dx = gamma invstd / M (M dy - sum dy - xhat sum(dy xhat)); dgamma += sum dy xhat; dbeta += sum dy.
void batch_norm_backward_train(const float* x, const float* dy, int64_t n, int64_t c, int64_t l,
                               const float* gamma, const float* mean, const float* invstd, float* dx, float* dgamma,
                               float* dbeta);
/// With fixed statistics (evaluation mode): dx = dy gamma invstd; dgamma += sum dy xhat; dbeta += sum dy.
void batch_norm_backward_eval(const float* x, const float* dy, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* running_mean, const float* running_var, float eps, float* dx,
                              float* dgamma, float* dbeta);

}  // namespace nn::ops
