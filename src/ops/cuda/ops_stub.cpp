// nn::ops::cuda in a build without CUDA (NN_CUDA off): every kernel throws nn::Error. Nothing
// reaches them there (no tensor can live on a CUDA device), but the layers link either way.
#if !defined(NN_CUDA)

#include "nn/error.hpp"
#include "ops_cuda.hpp"

namespace nn::ops::cuda {

namespace {
[[noreturn]] void no_cuda(const char* kernel) {
  fail("nn::ops::cuda::", kernel, ": nn was built without CUDA (configure with -DNN_CUDA=ON where nvcc is found)");
}
}  // namespace

void gemm(Trans, Trans, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
          int64_t) {
  no_cuda("gemm");
}
void activation_forward(Act, const float*, float*, int64_t, float) { no_cuda("activation_forward"); }
void activation_backward(Act, const float*, const float*, const float*, float*, int64_t, float) {
  no_cuda("activation_backward");
}
void add_bias_rows(float*, const float*, int64_t, int64_t) { no_cuda("add_bias_rows"); }
void sum_rows_accumulate(const float*, float*, int64_t, int64_t) { no_cuda("sum_rows_accumulate"); }
void add_bias_channels(float*, const float*, int64_t, int64_t, int64_t) { no_cuda("add_bias_channels"); }
void sum_channels_accumulate(const float*, float*, int64_t, int64_t, int64_t) { no_cuda("sum_channels_accumulate"); }
void softmax_rows(const float*, float*, int64_t, int64_t) { no_cuda("softmax_rows"); }
void softmax_rows_backward(const float*, const float*, float*, int64_t, int64_t) { no_cuda("softmax_rows_backward"); }
void axpy(float, const float*, float*, int64_t) { no_cuda("axpy"); }
void multiply(const float*, const float*, float*, int64_t) { no_cuda("multiply"); }
void copy(const float*, float*, int64_t) { no_cuda("copy"); }
void mse(const float*, const float*, float*, int64_t, float*) { no_cuda("mse"); }
void mse_labels(const float*, const int32_t*, float*, int64_t, int64_t, float*, int32_t*) { no_cuda("mse_labels"); }
void bce(const float*, const float*, float*, int64_t, float, float*) { no_cuda("bce"); }
void bce_labels(const float*, const int32_t*, float*, int64_t, float, float*, int32_t*) { no_cuda("bce_labels"); }
void bce_logits(const float*, const float*, float*, int64_t, float*) { no_cuda("bce_logits"); }
void bce_logits_labels(const float*, const int32_t*, float*, int64_t, float*, int32_t*) {
  no_cuda("bce_logits_labels");
}
void cross_entropy(const float*, const float*, float*, int64_t, int64_t, float, float*, int32_t*) {
  no_cuda("cross_entropy");
}
void cross_entropy_labels(const float*, const int32_t*, float*, int64_t, int64_t, float, float*, int32_t*) {
  no_cuda("cross_entropy_labels");
}
void softmax_cross_entropy(const float*, const float*, float*, int64_t, int64_t, float*) {
  no_cuda("softmax_cross_entropy");
}
void softmax_cross_entropy_labels(const float*, const int32_t*, float*, int64_t, int64_t, float*, int32_t*) {
  no_cuda("softmax_cross_entropy_labels");
}
void sgd_update(float*, const float*, float*, int64_t, const float*, float, float, float, bool, bool, int32_t*) {
  no_cuda("sgd_update");
}
void adam_update(float*, const float*, float*, float*, float*, int64_t, const float*, const int64_t*, float, float,
                 float, float, bool, bool, int32_t*) {
  no_cuda("adam_update");
}
void adam_advance(int64_t*) { no_cuda("adam_advance"); }
void norm_accumulate(const float*, int64_t, bool, double*) { no_cuda("norm_accumulate"); }
void norm_finish(const double*, bool, float, float*, float*) { no_cuda("norm_finish"); }
void scale_by(float*, int64_t, const float*) { no_cuda("scale_by"); }
void clamp(float*, int64_t, float) { no_cuda("clamp"); }
void im2col(const float*, int64_t, int64_t, int64_t, int64_t, const Window2d&, float*) { no_cuda("im2col"); }
void col2im(const float*, int64_t, int64_t, int64_t, int64_t, const Window2d&, float*) { no_cuda("col2im"); }
void ocl_to_nol(const float*, float*, int64_t, int64_t, int64_t) { no_cuda("ocl_to_nol"); }
void nol_to_ocl(const float*, float*, int64_t, int64_t, int64_t) { no_cuda("nol_to_ocl"); }
void max_pool2d_forward(const float*, int64_t, int64_t, int64_t, const Window2d&, float*, int32_t*) {
  no_cuda("max_pool2d_forward");
}
void max_pool2d_backward(const float*, const int32_t*, int64_t, int64_t, int64_t, const Window2d&, float*) {
  no_cuda("max_pool2d_backward");
}
void avg_pool2d_forward(const float*, int64_t, int64_t, int64_t, const Window2d&, float*) {
  no_cuda("avg_pool2d_forward");
}
void avg_pool2d_backward(const float*, int64_t, int64_t, int64_t, const Window2d&, float*) {
  no_cuda("avg_pool2d_backward");
}
void batch_norm_forward_train(const float*, int64_t, int64_t, int64_t, const float*, const float*, float, float*,
                              float*, float*, float*) {
  no_cuda("batch_norm_forward_train");
}
void batch_norm_update_running(float*, float*, const float*, const float*, int64_t, int64_t, float, float*) {
  no_cuda("batch_norm_update_running");
}
void batch_norm_forward_eval(const float*, int64_t, int64_t, int64_t, const float*, const float*, const float*,
                             const float*, float, float*) {
  no_cuda("batch_norm_forward_eval");
}
void batch_norm_backward_train(const float*, const float*, int64_t, int64_t, int64_t, const float*, const float*,
                               const float*, float*, float*, float*) {
  no_cuda("batch_norm_backward_train");
}
void batch_norm_backward_eval(const float*, const float*, int64_t, int64_t, int64_t, const float*, const float*,
                              const float*, float, float*, float*, float*) {
  no_cuda("batch_norm_backward_eval");
}
void layer_norm_forward(const float*, int64_t, int64_t, const float*, const float*, float, float*, float*, float*) {
  no_cuda("layer_norm_forward");
}
void layer_norm_backward(const float*, const float*, int64_t, int64_t, const float*, const float*, const float*, float*,
                         float*, float*) {
  no_cuda("layer_norm_backward");
}
void dropout_forward(const float*, float*, float*, int64_t, float, float, uint64_t*) { no_cuda("dropout_forward"); }

}  // namespace nn::ops::cuda

#endif  // !NN_CUDA
