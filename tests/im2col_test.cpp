// im2col and col2im against a plain reference: the padded-plane path (planes up to 16 KiB) and the
// bounds-checked path for larger planes, strides 1 and 2, uneven padding, columns of a batch (ld
// larger than OH*OW).
#include <gtest/gtest.h>

#include <vector>

#include "nn/ops/im2col.hpp"
#include "nn/random.hpp"

namespace {

struct Case {
  int64_t c, h, w;
  nn::ops::Window2d win;
  int64_t extra_ld;  // columns beyond OH*OW in each row (another image's)
};

std::vector<Case> cases() {
  return {
      {3, 5, 7, {3, 3, 1, 1, 1, 1}, 0},     // the stronger CNN's shape, small
      {32, 14, 14, {3, 3, 1, 1, 1, 1}, 0},  // the stronger CNN's second layer
      {2, 6, 5, {2, 3, 2, 1, 0, 2}, 5},     // uneven kernel, stride 2 down, padding only left/right
      {2, 9, 8, {3, 3, 2, 2, 1, 1}, 3},     // stride 2 both ways
      {1, 70, 70, {3, 3, 1, 1, 1, 1}, 0},   // padded plane over 16 KiB: the bounds-checked path
      {2, 4, 4, {5, 5, 1, 1, 2, 2}, 16},    // kernel larger than the image, inside the padding
  };
}

std::vector<float> random_values(int64_t n, uint64_t seed) {
  nn::Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = static_cast<float>(rng.uniform(-1.0, 1.0));
  return v;
}

// The value x[ch, oh*sh - ph + i, ow*sw - pw + j], or 0 in the padding.
float source(const std::vector<float>& x, const Case& k, int64_t ch, int64_t i, int64_t j, int64_t r, int64_t q) {
  const int64_t ih = r * k.win.sh - k.win.ph + i, iw = q * k.win.sw - k.win.pw + j;
  if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) return 0.0f;
  return x[static_cast<size_t>((ch * k.h + ih) * k.w + iw)];
}

TEST(Im2col, MatchesThePlainDefinitionOnEveryPath) {
  for (const Case& k : cases()) {
    const int64_t oh = k.win.out_h(k.h), ow = k.win.out_w(k.w), ld = oh * ow + k.extra_ld;
    const int64_t rows = k.c * k.win.kh * k.win.kw;
    const std::vector<float> x = random_values(k.c * k.h * k.w, 7);
    std::vector<float> cols(static_cast<size_t>(rows * ld), 42.0f);
    nn::ops::im2col(x.data(), k.c, k.h, k.w, k.win, cols.data(), ld);
    int64_t wrong = 0;
    for (int64_t ch = 0; ch < k.c; ++ch)
      for (int64_t i = 0; i < k.win.kh; ++i)
        for (int64_t j = 0; j < k.win.kw; ++j) {
          const float* row = cols.data() + ((ch * k.win.kh + i) * k.win.kw + j) * ld;
          for (int64_t r = 0; r < oh; ++r)
            for (int64_t q = 0; q < ow; ++q) wrong += row[r * ow + q] != source(x, k, ch, i, j, r, q);
          for (int64_t e = oh * ow; e < ld; ++e) wrong += row[e] != 42.0f;  // another image's columns untouched
        }
    EXPECT_EQ(wrong, 0) << "c=" << k.c << " h=" << k.h << " w=" << k.w << " kernel " << k.win.kh << "x"
                        << k.win.kw;
  }
}

TEST(Col2im, AddsEveryColumnEntryIntoItsSourceInAFixedOrder) {
  for (const Case& k : cases()) {
    const int64_t oh = k.win.out_h(k.h), ow = k.win.out_w(k.w), ld = oh * ow + k.extra_ld;
    const int64_t rows = k.c * k.win.kh * k.win.kw;
    const std::vector<float> cols = random_values(rows * ld, 11);
    // The reference adds in the order (i, j, r, q) per channel, as col2im documents a fixed order.
    std::vector<float> want(static_cast<size_t>(k.c * k.h * k.w), 0.0f);
    for (int64_t ch = 0; ch < k.c; ++ch)
      for (int64_t i = 0; i < k.win.kh; ++i)
        for (int64_t j = 0; j < k.win.kw; ++j)
          for (int64_t r = 0; r < oh; ++r)
            for (int64_t q = 0; q < ow; ++q) {
              const int64_t ih = r * k.win.sh - k.win.ph + i, iw = q * k.win.sw - k.win.pw + j;
              if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) continue;
              want[static_cast<size_t>((ch * k.h + ih) * k.w + iw)] +=
                  cols[static_cast<size_t>(((ch * k.win.kh + i) * k.win.kw + j) * ld + r * ow + q)];
            }
    std::vector<float> got(want.size(), 42.0f);
    nn::ops::col2im(cols.data(), ld, k.c, k.h, k.w, k.win, got.data());
    EXPECT_EQ(got, want) << "c=" << k.c << " h=" << k.h << " w=" << k.w << " kernel " << k.win.kh << "x"
                         << k.win.kw;
  }
}

}  // namespace
