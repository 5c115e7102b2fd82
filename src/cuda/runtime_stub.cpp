// The CUDA runtime layer of a build without CUDA (NN_CUDA off): no GPU, and every call that would
// use one throws nn::Error. runtime.cu replaces this file in NN_CUDA builds.
#include "cuda/runtime.hpp"

#include "nn/error.hpp"

namespace nn::cuda::detail {

namespace {
[[noreturn]] void unavailable(const char* what) {
  fail(what, ": nn was built without CUDA (configure with -DNN_CUDA=ON where nvcc and the CUDA toolkit are installed)");
}
}  // namespace

bool built() noexcept { return false; }
int device_count() noexcept { return 0; }
void set_device(int index) {
  fail("cuda:", index, ": nn was built without CUDA (configure with -DNN_CUDA=ON where nvcc and the CUDA "
       "toolkit are installed)");
}
int current_device() { unavailable("cuda::current_device"); }
CUstream_st* stream() { unavailable("cuda::stream"); }
cublasContext* cublas() { unavailable("cuda::cublas"); }
void* device_alloc(size_t) { unavailable("cuda::device_alloc"); }
void device_free(void*) noexcept {}
void* pinned_alloc(size_t) { unavailable("cuda::pinned_alloc"); }
void pinned_free(void*) noexcept {}
void copy_h2d(void*, const void*, size_t) { unavailable("cuda::copy_h2d"); }
void copy_h2d_async(void*, const void*, size_t) { unavailable("cuda::copy_h2d_async"); }
void copy_d2h(void*, const void*, size_t) { unavailable("cuda::copy_d2h"); }
void copy_d2d(void*, const void*, size_t) { unavailable("cuda::copy_d2d"); }
void memset_zero(void*, size_t) { unavailable("cuda::memset_zero"); }
void fill(float*, int64_t, float) { unavailable("cuda::fill"); }
void synchronize() { unavailable("cuda::synchronize"); }
void check(int cuda_error, const char* what) {
  if (cuda_error != 0) unavailable(what);
}
void check_launch(const char* kernel) { unavailable(kernel); }
void begin_capture() { unavailable("cuda::begin_capture"); }
void* end_capture() { unavailable("cuda::end_capture"); }
void abort_capture() noexcept {}
void replay(void*) { unavailable("cuda::replay"); }
void destroy_graph(void*) noexcept {}
bool capturing() { return false; }

}  // namespace nn::cuda::detail
