// The CUDA runtime layer (src/cuda/runtime.hpp) of NN_CUDA builds: one non-blocking stream and
// one cuBLAS handle per GPU, made on first use and kept for the life of the process.
#include "cuda/runtime.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <array>
#include <mutex>

#include "nn/error.hpp"

namespace nn::cuda::detail {

namespace {

constexpr int kMaxDevices = 64;
// cuBLAS's own workspace, so that it never allocates inside a captured step (32 MiB: the size
// NVIDIA recommends for Hopper).
constexpr size_t kCublasWorkspace = size_t{32} << 20;

struct PerDevice {
  std::once_flag once;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  void* workspace = nullptr;
};
std::array<PerDevice, kMaxDevices> per_device;

int device_count_once() noexcept {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();  // no driver or no GPU: not an error of the next call
    return 0;
  }
  return n < 0 ? 0 : (n > kMaxDevices ? kMaxDevices : n);
}

const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "cuBLAS error";
  }
}

void check_cublas(cublasStatus_t s, const char* what, int device) {
  if (s != CUBLAS_STATUS_SUCCESS) fail(what, " on cuda:", device, ": ", cublas_status_name(s));
}

PerDevice& current() {
  const int d = current_device();
  NN_CHECK(d >= 0 && d < kMaxDevices, "cuda: device ", d, " is beyond the ", kMaxDevices, " that nn supports");
  PerDevice& pd = per_device[static_cast<size_t>(d)];
  std::call_once(pd.once, [&pd, d] {
    check(cudaStreamCreateWithFlags(&pd.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    check_cublas(cublasCreate(&pd.cublas), "cublasCreate", d);
    check_cublas(cublasSetStream(pd.cublas, pd.stream), "cublasSetStream", d);
    // Full FP32 (no TF32): results match the CPU's within 1e-4.
    check_cublas(cublasSetMathMode(pd.cublas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode", d);
    check(cudaMalloc(&pd.workspace, kCublasWorkspace), "cudaMalloc (cuBLAS workspace)");
    check_cublas(cublasSetWorkspace(pd.cublas, pd.workspace, kCublasWorkspace), "cublasSetWorkspace", d);
  });
  return pd;
}

__global__ void __launch_bounds__(256) fill_kernel(float* __restrict__ p, int64_t n, float value) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) p[i] = value;
}

}  // namespace

bool built() noexcept { return true; }

int device_count() noexcept {
  static const int n = device_count_once();
  return n;
}

void check(int cuda_error, const char* what) {
  if (cuda_error != cudaSuccess) {
    const auto e = static_cast<cudaError_t>(cuda_error);
    fail(what, ": ", cudaGetErrorString(e), " (", cudaGetErrorName(e), ")");
  }
}

void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) fail("CUDA kernel ", kernel, ": launch failed: ", cudaGetErrorString(e), " (", cudaGetErrorName(e), ")");
}

namespace {
thread_local int current_index = -1;  // what set_device() last made current on this thread
}  // namespace

void set_device(int index) {
  if (index == current_index) return;  // tensors call this before their work: keep it cheap
  const int n = device_count();
  NN_CHECK(index >= 0 && index < n, "cuda:", index, ": no such CUDA device (this machine has ", n,
           n == 1 ? " CUDA device)" : " CUDA devices)");
  check(cudaSetDevice(index), "cudaSetDevice");
  current_index = index;
}

int current_device() {
  NN_CHECK(device_count() > 0, "cuda: no CUDA device on this machine (no GPU, or no CUDA driver)");
  int d = 0;
  check(cudaGetDevice(&d), "cudaGetDevice");
  return d;
}

CUstream_st* stream() { return current().stream; }

cublasContext* cublas() { return current().cublas; }

void* device_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  const int d = current_device();
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    (void)cudaMemGetInfo(&free_bytes, &total_bytes);
    (void)cudaGetLastError();
    fail("cudaMalloc: ", bytes, " bytes on cuda:", d, ": ", cudaGetErrorString(e), " (", free_bytes, " of ",
         total_bytes, " bytes free)");
  }
  return p;
}

void device_free(void* p) noexcept {
  if (p != nullptr) (void)cudaFree(p);
}

void* pinned_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t e = cudaHostAlloc(&p, bytes, cudaHostAllocDefault);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    fail("cudaHostAlloc: ", bytes, " bytes of pinned host memory: ", cudaGetErrorString(e));
  }
  return p;
}

void pinned_free(void* p) noexcept {
  if (p != nullptr) (void)cudaFreeHost(p);
}

void copy_h2d(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  NN_CHECK(!capturing(), "cuda::copy_h2d: a copy that waits cannot be part of a captured CUDA graph");
  cudaStream_t s = stream();
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s), "cudaMemcpyAsync (host to device)");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize (after a copy to the device)");
}

void copy_h2d_async(void* dst, const void* pinned_src, size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(dst, pinned_src, bytes, cudaMemcpyHostToDevice, stream()),
        "cudaMemcpyAsync (pinned host to device)");
}

void copy_d2h(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  NN_CHECK(!capturing(), "cuda::copy_d2h: reading a value back cannot be part of a captured CUDA graph");
  cudaStream_t s = stream();
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync (device to host)");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize (after a copy to the host)");
}

void copy_d2d(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()), "cudaMemcpyAsync (device to device)");
}

void memset_zero(void* p, size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemsetAsync(p, 0, bytes, stream()), "cudaMemsetAsync");
}

void fill(float* p, int64_t n, float value) {
  if (n <= 0) return;
  constexpr int kThreads = 256;
  // Enough blocks to fill the GPU; the grid-stride loop covers the rest.
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  const unsigned grid = static_cast<unsigned>(blocks < 4096 ? blocks : 4096);
  fill_kernel<<<grid, kThreads, 0, stream()>>>(p, n, value);
  check_launch("fill");
}

void synchronize() {
  NN_CHECK(!capturing(), "cuda::synchronize: waiting cannot be part of a captured CUDA graph");
  check(cudaStreamSynchronize(stream()), "cudaStreamSynchronize");
}

void begin_capture() {
  check(cudaStreamBeginCapture(stream(), cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
}

void* end_capture() {
  cudaGraph_t graph = nullptr;
  const cudaError_t e = cudaStreamEndCapture(stream(), &graph);
  if (e != cudaSuccess || graph == nullptr) {
    (void)cudaGetLastError();
    if (graph != nullptr) (void)cudaGraphDestroy(graph);
    fail("cudaStreamEndCapture: the step could not be captured as a CUDA graph: ", cudaGetErrorString(e));
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t ie = cudaGraphInstantiate(&exec, graph, 0);
  (void)cudaGraphDestroy(graph);
  if (ie != cudaSuccess) {
    (void)cudaGetLastError();
    fail("cudaGraphInstantiate: ", cudaGetErrorString(ie));
  }
  return exec;
}

void abort_capture() noexcept {
  if (device_count() == 0) return;
  int d = 0;
  if (cudaGetDevice(&d) != cudaSuccess || d < 0 || d >= kMaxDevices) return;
  cudaStream_t s = per_device[static_cast<size_t>(d)].stream;
  if (s == nullptr) return;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(s, &status) == cudaSuccess && status != cudaStreamCaptureStatusNone) {
    cudaGraph_t graph = nullptr;
    (void)cudaStreamEndCapture(s, &graph);
    if (graph != nullptr) (void)cudaGraphDestroy(graph);
  }
  (void)cudaGetLastError();
}

void replay(void* graph_exec) {
  check(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph_exec), stream()), "cudaGraphLaunch");
}

void destroy_graph(void* graph_exec) noexcept {
  if (graph_exec != nullptr) (void)cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph_exec));
}

bool capturing() {
  if (device_count() == 0) return false;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  check(cudaStreamIsCapturing(stream(), &status), "cudaStreamIsCapturing");
  return status != cudaStreamCaptureStatusNone;
}

}  // namespace nn::cuda::detail
