/// @file
/// Activation kernels, bias and row-wise operations on raw float arrays. They know nothing of
/// modules; layers call them with the sizes of their tensors. Sizes and pointers are not checked;
/// matrices are row-major.
#pragma once

#include "nn/export.hpp"

#include <cstdint>

namespace nn::ops {

/// @name Activation kernels
/// y = f(x) and dx = dy * f'(.) over n elements; x and y may alias, and so may dy and dx. The
/// backward kernels take the forward output y where the derivative is cheapest from it (sigmoid,
/// tanh) and the input x where the output loses information (relu and leaky relu at 0 use x > 0).
/// @{

/// y = 1 / (1 + e^-x), computed without overflow for either sign of x.
NN_API void sigmoid_forward(const float* x, float* y, int64_t n);
/// dx = dy * y (1 - y), from sigmoid's output y.
NN_API void sigmoid_backward(const float* y, const float* dy, float* dx, int64_t n);
/// y = tanh x.
NN_API void tanh_forward(const float* x, float* y, int64_t n);
/// dx = dy * (1 - y^2), from tanh's output y.
NN_API void tanh_backward(const float* y, const float* dy, float* dx, int64_t n);
/// y = max(0, x); runs on several threads when n is large.
NN_API void relu_forward(const float* x, float* y, int64_t n);
/// dx = dy where x > 0, else 0, from the input x; runs on several threads when n is large.
NN_API void relu_backward(const float* x, const float* dy, float* dx, int64_t n);
/// y = x where x > 0, else alpha x.
NN_API void leaky_relu_forward(const float* x, float* y, int64_t n, float alpha);
/// dx = dy where x > 0, else alpha dy, from the input x.
NN_API void leaky_relu_backward(const float* x, const float* dy, float* dx, int64_t n, float alpha);
/// @}

/// y (rows, cols) += b (cols) broadcast over rows.
NN_API void add_bias_rows(float* y, const float* b, int64_t rows, int64_t cols);
/// db (cols) += sum over rows of dy (rows, cols).
NN_API void sum_rows_accumulate(const float* dy, float* db, int64_t rows, int64_t cols);
/// y (rows, cols) = softmax of each row of x (rows, cols), max-subtracted; x and y may alias.
NN_API void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
/// dx = y * (dy - sum_j dy_j y_j) per row, the softmax Jacobian-vector product.
NN_API void softmax_rows_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
/// log-sum-exp of each row, max-subtracted: out (rows).
NN_API void logsumexp_rows(const float* x, float* out, int64_t rows, int64_t cols);
/// Index of the largest entry of each row (the first one on ties): out (rows).
NN_API void argmax_rows(const float* x, int64_t* out, int64_t rows, int64_t cols);

/// y += alpha * x over n elements.
NN_API void axpy(float alpha, const float* x, float* y, int64_t n);
/// Sum of n elements, accumulated in double.
NN_API double sum(const float* x, int64_t n);

}  // namespace nn::ops
