#include "nn/parallel.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace nn {

int threads_for(int64_t work) { return threads_for(work, kMinWorkPerThread); }

int threads_for(int64_t work, int64_t min_per_thread) {
  const int64_t wanted = work / min_per_thread;
  if (wanted < 2) return 1;
  return static_cast<int>(std::min<int64_t>(wanted, omp_get_max_threads()));
}

namespace detail {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// How long a thread spins before it sleeps: long enough to bridge the gap between the loops of
// one training step on an idle machine, short enough that a spinning thread never holds a core
// that another process (or the thread doing the work) needs for long.
constexpr auto kSpin = std::chrono::microseconds(50);

// nn's workers (see docs/performance.md, "Busy machines"). A loop is published as a generation:
// the claim counter holds the generation in its high 32 bits and the next item in its low 32
// bits, so a worker that wakes late, after its loop is over, cannot claim an item of the next one.
// The caller returns when `done` reaches n; it never waits for a worker that claimed nothing.
class Pool {
 public:
  ~Pool() {
    stop_.store(true);
    generation_.fetch_add(1);
    generation_.notify_all();
    for (auto& w : workers_) w.join();
  }

  void run(int64_t n, int threads, void (*fn)(void*, int64_t), void* ctx) {
    ensure_workers(threads - 1);
    uint32_t gen;
    {
      std::lock_guard lock(job_mutex_);
      gen = static_cast<uint32_t>(generation_.load(std::memory_order_relaxed) + 1);
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      helpers_ = threads - 1;
      done_.store(0, std::memory_order_relaxed);
      claim_.store(uint64_t{gen} << 32, std::memory_order_relaxed);
      generation_.store(gen, std::memory_order_release);
    }
    generation_.notify_all();
    work(gen, fn, ctx, n);
    // Items that workers still hold: spin a little, then sleep until the last one is done.
    const auto until = std::chrono::steady_clock::now() + kSpin;
    int32_t d;
    while ((d = done_.load(std::memory_order_acquire)) < n) {
      if (std::chrono::steady_clock::now() < until) {
        cpu_relax();
      } else {
        done_.wait(d, std::memory_order_acquire);
      }
    }
  }

 private:
  // Claims and runs items of generation gen until none is left. noexcept: an item must not throw
  // (parallel_for's contract), and one that does ends the program, as an exception leaving an
  // OpenMP region did, instead of returning while workers still run items of the caller's loop.
  void work(uint32_t gen, void (*fn)(void*, int64_t), void* ctx, int64_t n) noexcept {
    uint64_t c = claim_.load(std::memory_order_relaxed);
    for (;;) {
      if ((c >> 32) != gen || static_cast<int64_t>(c & 0xffffffffu) >= n) return;
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
      fn(ctx, static_cast<int64_t>(c & 0xffffffffu));
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) done_.notify_all();
      c = claim_.load(std::memory_order_relaxed);
    }
  }

  // Starts workers up to `count` and waits until each has set itself up, so that what a new
  // thread allocates (libgomp's settings for it) happens here, not in a later loop.
  void ensure_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { worker(index); });
      while (ready_.load(std::memory_order_acquire) <= index) std::this_thread::yield();
    }
  }

  void worker(int index) {
    in_loop = true;  // a loop inside an item runs serially
    // A worker's BLAS calls run on one thread (OpenBLAS's OpenMP build follows this count).
    omp_set_num_threads(1);
    ready_.fetch_add(1, std::memory_order_release);
    uint32_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      uint32_t gen = generation_.load(std::memory_order_acquire);
      if (gen == seen) {
        const auto until = std::chrono::steady_clock::now() + kSpin;
        while ((gen = generation_.load(std::memory_order_acquire)) == seen &&
               std::chrono::steady_clock::now() < until)
          cpu_relax();
        if (gen == seen) {
          generation_.wait(seen, std::memory_order_acquire);
          continue;
        }
      }
      seen = gen;
      if (stop_.load()) return;
      void (*fn)(void*, int64_t);
      void* ctx;
      int64_t n;
      {
        std::lock_guard lock(job_mutex_);
        if (generation_.load(std::memory_order_relaxed) != gen || index >= helpers_) continue;
        fn = fn_;
        ctx = ctx_;
        n = n_;
      }
      work(gen, fn, ctx, n);
    }
  }

 public:
  static thread_local bool in_loop;

 private:
  std::vector<std::thread> workers_;
  std::mutex job_mutex_;
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<int32_t> done_{0};  // 4 bytes: waited on through a futex on its own address
  std::atomic<bool> stop_{false};
  std::atomic<int> ready_{0};
  void (*fn_)(void*, int64_t) = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
  int helpers_ = 0;
};

thread_local bool Pool::in_loop = false;

std::mutex& caller_mutex() {
  static std::mutex m;
  return m;
}

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void run_parallel(int64_t n, int threads, void (*fn)(void*, int64_t), void* ctx) {
  std::unique_lock lock(caller_mutex(), std::defer_lock);
  if (Pool::in_loop || n <= 1 || threads <= 1 || n > INT32_MAX || !lock.try_lock()) {
    for (int64_t i = 0; i < n; ++i) fn(ctx, i);
    return;
  }
  Pool::in_loop = true;
  pool().run(n, threads, fn, ctx);
  Pool::in_loop = false;
}

}  // namespace detail
}  // namespace nn
