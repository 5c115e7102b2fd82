#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/ops/elementwise.hpp"
#include "nn/ops/gemm.hpp"
#include "nn/random.hpp"

namespace {

using nn::ops::Trans;

// Reference: a plain triple loop in double.
std::vector<float> naive(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const std::vector<float>& A,
                         int64_t lda, const std::vector<float>& B, int64_t ldb, float beta, std::vector<float> C,
                         int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) {
        const float a = ta == Trans::No ? A[static_cast<size_t>(i * lda + k)] : A[static_cast<size_t>(k * lda + i)];
        const float b = tb == Trans::No ? B[static_cast<size_t>(k * ldb + j)] : B[static_cast<size_t>(j * ldb + k)];
        s += static_cast<double>(a) * b;
      }
      float& c = C[static_cast<size_t>(i * ldc + j)];
      c = static_cast<float>(alpha * s + (beta == 0.0f ? 0.0 : beta * c));
    }
  return C;
}

class GemmTest : public ::testing::TestWithParam<std::tuple<Trans, Trans, int, int, int>> {};

TEST_P(GemmTest, BackendAndPortableKernelMatchReference) {
  auto [ta, tb, M, N, K] = GetParam();
  nn::Rng rng(static_cast<uint64_t>(M * 10000 + N * 100 + K));
  const int64_t lda = (ta == Trans::No ? K : M) + 3, ldb = (tb == Trans::No ? N : K) + 1, ldc = N + 2;
  std::vector<float> A(static_cast<size_t>((ta == Trans::No ? M : K) * lda)),
      B(static_cast<size_t>((tb == Trans::No ? K : N) * ldb)), C(static_cast<size_t>(M * ldc));
  for (auto& v : A) v = static_cast<float>(rng.uniform(-1, 1));
  for (auto& v : B) v = static_cast<float>(rng.uniform(-1, 1));
  for (auto& v : C) v = static_cast<float>(rng.uniform(-1, 1));
  for (float beta : {0.0f, 1.0f, 0.5f}) {
    const auto expected = naive(ta, tb, M, N, K, 1.5f, A, lda, B, ldb, beta, C, ldc);
    auto c1 = C, c2 = C;
    nn::ops::gemm(ta, tb, M, N, K, 1.5f, A.data(), lda, B.data(), ldb, beta, c1.data(), ldc);
    nn::ops::gemm_portable(ta, tb, M, N, K, 1.5f, A.data(), lda, B.data(), ldb, beta, c2.data(), ldc);
    for (size_t i = 0; i < expected.size(); ++i) {
      const float tol = 1e-5f * static_cast<float>(K + 1);
      ASSERT_NEAR(c1[i], expected[i], tol) << nn::ops::gemm_backend() << " at " << i << " beta " << beta;
      ASSERT_NEAR(c2[i], expected[i], tol) << "portable at " << i << " beta " << beta;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GemmTest,
                         ::testing::Combine(::testing::Values(Trans::No, Trans::Yes),
                                            ::testing::Values(Trans::No, Trans::Yes), ::testing::Values(1, 7, 64),
                                            ::testing::Values(1, 13, 128), ::testing::Values(1, 5, 300)));

TEST(Gemm, BetaZeroIgnoresGarbageInC) {
  std::vector<float> A{1, 2}, B{3, 4}, C{NAN};
  nn::ops::gemm(Trans::No, Trans::No, 1, 1, 2, 1.0f, A.data(), 2, B.data(), 1, 0.0f, C.data(), 1);
  EXPECT_EQ(C[0], 11.0f);
  C[0] = NAN;
  nn::ops::gemm_portable(Trans::No, Trans::No, 1, 1, 2, 1.0f, A.data(), 2, B.data(), 1, 0.0f, C.data(), 1);
  EXPECT_EQ(C[0], 11.0f);
}

// The paths gemm takes besides a BLAS GEMM: the plain loop for tiny products, GEMV for one row or
// one column, and K == 0; with beta 0 none of them may let NaN garbage in C through.
TEST(Gemm, EveryPathIgnoresGarbageWithBetaZero) {
  nn::Rng rng(5);
  for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{1, 3, 2}, {1, 128, 784}, {64, 1, 300}, {2, 2, 0}}) {
    for (Trans ta : {Trans::No, Trans::Yes})
      for (Trans tb : {Trans::No, Trans::Yes}) {
        const int64_t lda = ta == Trans::No ? K : M, ldb = tb == Trans::No ? N : K;
        std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(K * N)),
            C(static_cast<size_t>(M * N), NAN);
        for (auto& v : A) v = static_cast<float>(rng.uniform(-1, 1));
        for (auto& v : B) v = static_cast<float>(rng.uniform(-1, 1));
        const auto expected = naive(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);
        nn::ops::gemm(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), N);
        for (size_t i = 0; i < C.size(); ++i)
          ASSERT_NEAR(C[i], expected[i], 1e-5f * static_cast<float>(K + 1))
              << M << "x" << N << "x" << K << " at " << i;
      }
  }
}

TEST(Gemm, EmptyInnerDimensionScalesC) {
  std::vector<float> C{1, 2, 3, 4};
  nn::ops::gemm(Trans::No, Trans::No, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.5f, C.data(), 2);
  EXPECT_EQ(C, (std::vector<float>{0.5f, 1, 1.5f, 2}));
}

TEST(Softmax, StableForHugeLogitsAndRowsSumToOne) {
  std::vector<float> x{1000, 1001, 1002, -1000, 0, 1000}, y(6);
  nn::ops::softmax_rows(x.data(), y.data(), 2, 3);
  for (float v : y) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(y[0] + y[1] + y[2], 1.0f, 1e-6f);
  EXPECT_NEAR(y[2], 0.66524f, 1e-4f);
  EXPECT_NEAR(y[5], 1.0f, 1e-6f);
  float lse[2];
  nn::ops::logsumexp_rows(x.data(), lse, 2, 3);
  EXPECT_NEAR(lse[0], 1002.40761f, 1e-3f);
  EXPECT_NEAR(lse[1], 1000.0f, 1e-3f);
}

TEST(Activations, SigmoidIsStableAtBothEnds) {
  std::vector<float> x{-100, -10, 0, 10, 100}, y(5);
  nn::ops::sigmoid_forward(x.data(), y.data(), 5);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_GT(y[0], 0.0f - 1e-30f);
  EXPECT_NEAR(y[1], 4.5398e-5f, 1e-8f);
  EXPECT_EQ(y[4], 1.0f);
  for (float v : y) EXPECT_TRUE(std::isfinite(v));
}

TEST(Reductions, BiasSumAndArgmax) {
  std::vector<float> y{1, 2, 3, 4, 5, 6}, b{10, 20, 30}, db{0, 0, 0};
  nn::ops::add_bias_rows(y.data(), b.data(), 2, 3);
  EXPECT_EQ(y, (std::vector<float>{11, 22, 33, 14, 25, 36}));
  nn::ops::sum_rows_accumulate(y.data(), db.data(), 2, 3);
  EXPECT_EQ(db, (std::vector<float>{25, 47, 69}));
  int64_t arg[2];
  std::vector<float> z{1, 3, 3, 9, 2, 0};
  nn::ops::argmax_rows(z.data(), arg, 2, 3);
  EXPECT_EQ(arg[0], 1);  // first of the ties
  EXPECT_EQ(arg[1], 0);
  EXPECT_DOUBLE_EQ(nn::ops::sum(z.data(), 6), 18.0);
}

}  // namespace
