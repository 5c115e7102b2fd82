// Direct stride-1 convolution kernels on "flat padded" planes, for layers with few channels, where
// a GEMM's packing and call overhead cost more than the arithmetic.
//
// An input channel is stored as its zero-padded (Hp, Wp) plane, row-major, and an output channel
// on the same row stride Wp: output (r, q) sits at flat position p = r*Wp + q, and tap (i, j) of
// the window reads input position p + i*Wp + j. So every tap is one constant offset, and the
// convolution of a whole plane becomes a sum of shifted, scaled copies of the input: long
// contiguous vectors, no bounds. The positions with q >= OW (Wp - OW of them per row) are junk:
// computed, never used (and, for the weight gradient, multiplied by a zero output gradient).
#pragma once

#include <cstdint>

namespace nn::ops {

/// The kernels work on whole vectors of 8 positions: `len` positions become conv_flat_size(len),
/// so `out` needs that many entries per channel and `in` must be readable up to
/// (in_channels - 1) * plane + max(offsets) + that many (a padded plane per channel plus
/// conv_flat_size(len) floats is always enough).
inline int64_t conv_flat_size(int64_t len) { return (len + 7) / 8 * 8; }

/// The (channels, h, w) image x -> zero-padded planes: channel c's row r at
/// dst[c * plane + (r + ph) * wp + pw], zeros elsewhere, and `tail` zeros after the last plane.
void conv_flat_pad(const float* x, int64_t channels, int64_t h, int64_t w, int64_t ph, int64_t pw, int64_t wp,
                   int64_t plane, int64_t tail, float* dst);
/// Its inverse for outputs: row r of channel c at src[c * plane + r * wp] -> dense (channels, h, w).
void conv_flat_unpad(const float* src, int64_t channels, int64_t plane, int64_t wp, int64_t h, int64_t w,
                     float* x);

/// out[o * out_stride + p] = bias[o] (0 if bias is null)
///     + sum_{c, t} weight[(o * in_channels + c) * taps + t] * in[c * plane + p + offsets[t]]
/// for p < conv_flat_size(len); out_stride >= conv_flat_size(len). The weight is PyTorch's
/// (O, C, kh, kw) when the taps are numbered t = i*kw + j. The order of the additions is fixed.
void conv_flat_forward(const float* in, int64_t in_channels, int64_t plane, const int64_t* offsets, int64_t taps,
                       const float* weight, const float* bias, int64_t out_channels, float* out,
                       int64_t out_stride, int64_t len);

/// The weight gradient, kept as 8 partial sums per weight:
///   acc[((o * in_channels + c) * taps + t) * 8 + l] += sum_{p = l mod 8, p < len}
///       dy[o * dy_stride + p] * in[c * plane + p + offsets[t]]
/// len must be a multiple of 8; dy must be zero at the junk positions. Summing the 8 lanes (in a
/// fixed order) gives the gradient.
void conv_flat_weight_grad(const float* in, int64_t in_channels, int64_t plane, const int64_t* offsets,
                           int64_t taps, const float* dy, int64_t out_channels, int64_t dy_stride, int64_t len,
                           float* acc);

}  // namespace nn::ops
