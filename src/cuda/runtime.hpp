// nn's CUDA runtime layer (internal): the current GPU, nn's stream and cuBLAS handle on it, device
// and pinned memory, copies, and CUDA graphs of the stream. Includable from .cpp and .cu files: no
// CUDA header here. runtime.cu implements it in NN_CUDA builds; runtime_stub.cpp in the others,
// where device_count() is 0 and everything that would touch a GPU throws nn::Error
// "nn was built without CUDA".
//
// Every call that can fail throws nn::Error naming the call, the device and cudaGetErrorString.
// Work is queued on stream(): nothing here waits for the GPU but synchronize(), copy_h2d() and
// copy_d2h(), which must, and none of those three may run while the stream is being captured.
#pragma once

#include <cstddef>
#include <cstdint>

struct CUstream_st;
struct cublasContext;

namespace nn::cuda::detail {

bool built() noexcept;        ///< whether nn was compiled with NN_CUDA
int device_count() noexcept;  ///< usable GPUs; 0 without CUDA, driver or GPU; never throws

/// Makes GPU `index` current on this thread. @throws nn::Error naming index and count.
void set_device(int index);
/// The current GPU of this thread. @throws nn::Error without CUDA or GPU.
int current_device();

/// nn's one non-blocking stream on the current GPU (made on first use, kept for the process).
CUstream_st* stream();
/// The cuBLAS handle of the current GPU, bound to stream(), default math (no TF32), with a
/// workspace of its own so that its calls can be captured in a graph.
cublasContext* cublas();

/// `bytes` of memory on the current GPU (nullptr for 0). @throws nn::Error naming bytes and device.
void* device_alloc(size_t bytes);
void device_free(void* p) noexcept;  ///< frees device_alloc's memory; nullptr is a no-op
/// `bytes` of page-locked host memory (nullptr for 0), the source of asynchronous copies.
void* pinned_alloc(size_t bytes);
void pinned_free(void* p) noexcept;  ///< frees pinned_alloc's memory; nullptr is a no-op

/// Host to device; returns when `src` may be reused (waits for stream()).
void copy_h2d(void* dst, const void* src, size_t bytes);
/// Host (pinned) to device on stream(), without waiting: `pinned_src` must stay unchanged until
/// the stream has passed the copy.
void copy_h2d_async(void* dst, const void* pinned_src, size_t bytes);
/// Device to host: waits for stream() (everything queued before), then copies.
void copy_d2h(void* dst, const void* src, size_t bytes);
/// Device to device on stream(), without waiting.
void copy_d2d(void* dst, const void* src, size_t bytes);
/// Zeroes `bytes` of device memory on stream(), without waiting.
void memset_zero(void* p, size_t bytes);
/// Sets `n` floats of device memory to `value` on stream(), without waiting.
void fill(float* p, int64_t n, float value);
/// Waits until everything queued on stream() has run.
void synchronize();

/// Throws nn::Error "<what>: <cudaGetErrorString>" unless `cuda_error` is cudaSuccess (0).
void check(int cuda_error, const char* what);
/// After a kernel launch: throws nn::Error naming the kernel when the launch failed.
void check_launch(const char* kernel);

/// Starts capturing stream() into a CUDA graph (this thread's calls only).
void begin_capture();
/// Ends the capture and instantiates the graph: an opaque cudaGraphExec_t for replay().
/// @throws nn::Error when the capture failed (an uncapturable call was made meanwhile).
void* end_capture();
/// Ends a capture that went wrong, dropping what was captured; never throws.
void abort_capture() noexcept;
/// Launches the whole graph on stream(), without waiting.
void replay(void* graph_exec);
void destroy_graph(void* graph_exec) noexcept;  ///< frees an instantiated graph; nullptr is a no-op
bool capturing();  ///< whether stream() is being captured now

}  // namespace nn::cuda::detail
