// im2col and col2im: the unfolding that turns a convolution into one GEMM.
//
// For one image x (C, H, W) and a window giving an (OH, OW) output, the column matrix has
// C*kh*kw rows, row (c, i, j) holding x[c, oh*sh - ph + i, ow*sw - pw + j] for every output
// position (oh, ow) (zero where that falls into the padding). A batch stores its images side by
// side: image n occupies columns [n*OH*OW, (n+1)*OH*OW) of a (C*kh*kw, N*OH*OW) matrix, so `ld`
// (the row stride) is N*OH*OW and `cols` points at image n's first column.
#pragma once

#include <cstdint>

#include "nn/ops/window.hpp"

namespace nn::ops {

/// x (C, H, W) -> cols (C*kh*kw rows of OH*OW entries, row stride ld).
void im2col(const float* x, int64_t c, int64_t h, int64_t w, const Window2d& win, float* cols, int64_t ld);

/// The adjoint of im2col: x (C, H, W) = sum of every column entry into the input position it was
/// read from (entries that came from the padding are dropped). Overwrites x; the order of the
/// additions is fixed, so the result is the same on every run.
void col2im(const float* cols, int64_t ld, int64_t c, int64_t h, int64_t w, const Window2d& win, float* x);

}  // namespace nn::ops
