// nn::ops::cuda: the CUDA twins of nn's CPU kernels (nn/ops/*.hpp, and the loops inside the layers,
// losses and optimizers). Internal: included by the layers' .cpp files and by the .cu files that
// implement it; no CUDA header is needed to include it.
//
// Every function takes raw device pointers and int64_t sizes, launches on nn's stream
// (nn::cuda::detail::stream()) and returns without synchronising: a whole training step queues
// its work and the host waits only where a value must reach it (a loss value, a finite flag).
// A failed launch throws nn::Error naming the kernel and CUDA's message. Nothing allocates: every
// workspace is passed in. Sums are reduced in a fixed order (no atomics on floats), so results
// repeat bit for bit from run to run; they match the CPU kernels within rounding (1e-4 relative).
//
// In a build without CUDA (NN_CUDA off) the functions exist (ops_stub.cpp) and throw nn::Error
// "nn was built without CUDA".
#pragma once

#include <cstdint>

#include "nn/ops/gemm.hpp"
#include "nn/ops/window.hpp"

namespace nn::ops::cuda {

// ---- GEMM (cuBLAS) ---------------------------------------------------------------------------

/// C = alpha op(A) op(B) + beta C, row-major, with nn::ops::gemm's arguments exactly (it maps the
/// row-major product onto cuBLAS's column-major SGEMM by computing C^T = op(B)^T op(A)^T), with
/// CUBLAS_COMPUTE_32F and the default math mode: no TF32, so results match the CPU.
void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// ---- element-wise, bias, rows -----------------------------------------------------------------

/// The element-wise activations.
enum class Act : int32_t { sigmoid, tanh, relu, leaky_relu, gelu, gelu_tanh, identity };

/// y = f(x) over n elements (x and y may alias); alpha is leaky relu's slope.
void activation_forward(Act act, const float* x, float* y, int64_t n, float alpha);
/// dx = dy f'(.): sigmoid and tanh read the output y, relu/leaky relu/gelu the input x (the
/// other may be null); dy and dx may alias.
void activation_backward(Act act, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                         float alpha);

/// y (rows, cols) += b (cols) broadcast over rows.
void add_bias_rows(float* y, const float* b, int64_t rows, int64_t cols);
/// db (cols) += sum over rows of dy (rows, cols), one column per thread, rows in order.
void sum_rows_accumulate(const float* dy, float* db, int64_t rows, int64_t cols);
/// y (n, c, l) += b (c) broadcast over n and l (a convolution's bias).
void add_bias_channels(float* y, const float* b, int64_t n, int64_t c, int64_t l);
/// db (c) += sum over n and l of dy (n, c, l), one block per channel.
void sum_channels_accumulate(const float* dy, float* db, int64_t n, int64_t c, int64_t l);
/// y (rows, cols) = softmax of each row of x, max-subtracted; x and y may alias.
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
/// dx = y (dy - sum_j dy_j y_j) per row.
void softmax_rows_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
/// y += alpha x over n elements.
void axpy(float alpha, const float* x, float* y, int64_t n);
/// y = x * m over n elements (dropout's backward with a stored mask).
void multiply(const float* x, const float* m, float* y, int64_t n);
/// A copy of n floats (device to device) on nn's stream.
void copy(const float* x, float* y, int64_t n);

// ---- losses -------------------------------------------------------------------------------------
// Each writes the gradient of the mean loss into g (pred's shape) and the mean itself into the
// device scalar value[0], summed in double in one block in a fixed order. Labels are int32 class
// indices in device memory; a label out of range, or (cross-entropy on probabilities) a value of
// pred outside [0, 1] beyond a slack of 1e-3, sets *bad to 1 (not checked on the device
// otherwise: the caller reads `bad` when it reads the value). `bad` is written 0 first.

/// mean((p - t)^2), g = 2 (p - t) / n.
void mse(const float* p, const float* t, float* g, int64_t n, float* value);
/// MSE against class indices: one-hot rows of width cols, or (cols == 1) the 0/1 label itself.
void mse_labels(const float* p, const int32_t* labels, float* g, int64_t rows, int64_t cols, float* value,
                int32_t* bad);
/// -mean(y log(p + eps) + (1 - y) log(1 - p + eps)).
void bce(const float* p, const float* y, float* g, int64_t n, float eps, float* value);
/// BCE of (rows, 1) probabilities against 0/1 labels.
void bce_labels(const float* p, const int32_t* labels, float* g, int64_t rows, float eps, float* value,
                int32_t* bad);
/// mean(max(z, 0) - z y + log(1 + e^-|z|)), g = (sigmoid(z) - y) / n.
void bce_logits(const float* z, const float* y, float* g, int64_t n, float* value);
/// BCE-with-logits of (rows, 1) logits against 0/1 labels.
void bce_logits_labels(const float* z, const int32_t* labels, float* g, int64_t rows, float* value,
                       int32_t* bad);
/// -1/rows sum y log(p + eps) on probabilities (rows, cols).
void cross_entropy(const float* p, const float* y, float* g, int64_t rows, int64_t cols, float eps, float* value,
                   int32_t* bad);
/// -mean_i log(p_i,label_i + eps).
void cross_entropy_labels(const float* p, const int32_t* labels, float* g, int64_t rows, int64_t cols, float eps,
                          float* value, int32_t* bad);
/// Fused softmax cross-entropy on logits against target rows (one-hot or soft).
void softmax_cross_entropy(const float* z, const float* y, float* g, int64_t rows, int64_t cols, float* value);
/// Fused softmax cross-entropy on logits against class indices.
void softmax_cross_entropy_labels(const float* z, const int32_t* labels, float* g, int64_t rows, int64_t cols,
                                  float* value, int32_t* bad);

// ---- optimizers -------------------------------------------------------------------------------
// The hyper-parameters that change between steps live on the device, so that a captured step
// replays correctly: `lr` points at the current learning rate (the optimizer uploads it when it
// changes), `step` at Adam's step count t (adam_advance() increments it after the updates of a
// step). Non-finite weights after an update set *nonfinite to 1 (reset it with
// nn::cuda::detail::memset_zero before the step).

/// SGD as nn::SGD: g' = g + wd w; b = first ? g' : mu b + (1 - damp) g'; w -= lr (nesterov ? g' +
/// mu b : b); with mu == 0 no buffer (b may be null): w -= lr g'.
void sgd_update(float* w, const float* g, float* b, int64_t n, const float* lr, float mu, float damp, float wd,
                bool nesterov, bool first, int32_t* nonfinite);
/// Adam/AdamW/AMSGrad as nn::Adam for step t = *step + 1 (bias corrections in double on the device).
void adam_update(float* w, const float* g, float* m, float* v, float* vmax, int64_t n, const float* lr,
                 const int64_t* step, float b1, float b2, float eps, float wd, bool decoupled, bool amsgrad,
                 int32_t* nonfinite);
/// *step += 1 (one thread), after every adam_update of a step.
void adam_advance(int64_t* step);

/// Gradient clipping. norm_accumulate adds sum g^2 (or max |g|, NaN-propagating) of n elements
/// into acc[0] (a double on the device, zeroed first with memset_zero) in a fixed order.
void norm_accumulate(const float* g, int64_t n, bool inf_norm, double* acc);
/// norm[0] = the total norm (sqrt for the 2-norm) as float; coef[0] = max_norm / (norm + 1e-6)
/// clamped to 1 (1 when the norm is not finite: no scaling, as on the CPU).
void norm_finish(const double* acc, bool inf_norm, float max_norm, float* norm, float* coef);
/// g *= coef[0] over n elements (a no-op when coef is 1).
void scale_by(float* g, int64_t n, const float* coef);
/// g = clamp(g, -c, c).
void clamp(float* g, int64_t n, float c);

// ---- convolution and pooling ------------------------------------------------------------------

/// nn::ops::im2col for a batch: x (N, C, H, W) -> cols (C*kh*kw, N*OH*OW), image n in columns
/// [n*OH*OW, (n+1)*OH*OW).
void im2col(const float* x, int64_t n, int64_t c, int64_t h, int64_t w, const Window2d& win, float* cols);
/// Its adjoint: x (N, C, H, W) = the sum of the column entries read from each position (overwrites
/// x; each input element gathers its entries in a fixed order: no atomics).
void col2im(const float* cols, int64_t n, int64_t c, int64_t h, int64_t w, const Window2d& win, float* x);
/// Moves the GEMM's (O, N*L) result into NCHW order: y (N, O, L) = t (O, N, L); and back.
void ocl_to_nol(const float* t, float* y, int64_t o, int64_t n, int64_t l);
/// dy (N, O, L) -> t (O, N, L).
void nol_to_ocl(const float* dy, float* t, int64_t n, int64_t o, int64_t l);
/// Max pooling over planes (P, H, W): y (P, OH, OW) and argmax (h*W + w of the choice, first on
/// ties, a NaN wins), PyTorch's -inf padding.
void max_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y,
                        int32_t* argmax);
/// dx (P, H, W) = dy routed to the chosen elements; overwrites dx (gathered per input element).
void max_pool2d_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w,
                         const Window2d& win, float* dx);
/// Average pooling, count_include_pad = True.
void avg_pool2d_forward(const float* x, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* y);
/// dx (P, H, W) = each dy / (kh*kw) spread over its window; overwrites dx.
void avg_pool2d_backward(const float* dy, int64_t planes, int64_t h, int64_t w, const Window2d& win, float* dx);

// ---- normalisation and dropout ----------------------------------------------------------------

/// nn::ops::batch_norm_forward_train on x (N, C, L): one block per channel, sums in double.
void batch_norm_forward_train(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* var, float* invstd);
/// running = (1 - momentum) running + momentum stat, with the unbiased variance (M / (M - 1)),
/// and num_batches[0] += 1 (all on the device).
void batch_norm_update_running(float* running_mean, float* running_var, const float* mean, const float* var,
                               int64_t c, int64_t m, float momentum, float* num_batches);
/// nn::ops::batch_norm_forward_eval.
void batch_norm_forward_eval(const float* x, int64_t n, int64_t c, int64_t l, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var, float eps,
                             float* y);
/// nn::ops::batch_norm_backward_train (dx, dgamma, dbeta may be null).
void batch_norm_backward_train(const float* x, const float* dy, int64_t n, int64_t c, int64_t l,
                               const float* gamma, const float* mean, const float* invstd, float* dx, float* dgamma,
                               float* dbeta);
/// nn::ops::batch_norm_backward_eval.
void batch_norm_backward_eval(const float* x, const float* dy, int64_t n, int64_t c, int64_t l, const float* gamma,
                              const float* running_mean, const float* running_var, float eps, float* dx,
                              float* dgamma, float* dbeta);
/// Layer norm over the last f of x (rows, f): one block per row, sums in double; mean/invstd (rows).
void layer_norm_forward(const float* x, int64_t rows, int64_t f, const float* w, const float* b, float eps,
                        float* y, float* mean, float* invstd);
/// Its backward: dx (may be null) per row; dw/db (may be null) += sums over rows, one thread per
/// feature, rows in order.
void layer_norm_backward(const float* x, const float* dy, int64_t rows, int64_t f, const float* w,
                         const float* mean, const float* invstd, float* dx, float* dw, float* db);
/// Dropout: mask[i] = nn::dropout_keeps(seed, offset, i, p) ? scale : 0 and y = x * mask, with
/// seed = state[0] and offset = state[1] read on the device, and state[1] advanced by one
/// afterwards on the device (so a captured step draws a new mask on every replay).
void dropout_forward(const float* x, float* y, float* mask, int64_t n, float p, float scale, uint64_t* state);

}  // namespace nn::ops::cuda
