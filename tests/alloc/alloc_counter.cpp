// Counts every allocation the process makes, whatever path it takes (malloc, calloc, realloc,
// aligned_alloc, posix_memalign, memalign, valloc, pvalloc, and operator new in all its forms, which
// allocate through them). Tensors take their storage from aligned_alloc, so a Tensor is caught.
//
// The C allocation functions are defined here, ahead of the C library's (and of a sanitizer's
// interceptors) in symbol lookup; each counts and calls the next definition, found with
// dlsym(RTLD_NEXT). dlsym may itself allocate while it resolves them: those few blocks come from
// a static arena, and free() ignores them.
//
// An allocation made by the BLAS library itself is counted apart: OpenBLAS's threaded GEMM
// driver mallocs its job table on every call it splits over threads. That is the BLAS's doing, not
// nn's, and nn cannot avoid it short of running the BLAS on one thread; the tests
// (steady_state_alloc.cpp) require zero allocations by everything else and record the BLAS's count
// as the property "blas_allocations".
#include "alloc_counter.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

// The wrappers run before a sanitizer's runtime has set itself up (it allocates while it starts),
// so they are not instrumented.
#define NN_NOT_SANITIZED __attribute__((no_sanitize("address", "undefined")))

namespace {

// A count shared by all threads (GCC's atomic builtins: std::atomic's inline members would be
// instrumented).
struct Counter {
  long n = 0;
  NN_NOT_SANITIZED void add() { __atomic_fetch_add(&n, 1, __ATOMIC_RELAXED); }
  long load() const { return __atomic_load_n(&n, __ATOMIC_SEQ_CST); }
};
Counter g_allocations, g_blas_allocations;

using MallocFn = void* (*)(size_t);
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);
using AlignedFn = void* (*)(size_t, size_t);
using PosixMemalignFn = int (*)(void**, size_t, size_t);
using FreeFn = void (*)(void*);

struct NextAllocator {
  MallocFn malloc = nullptr;
  CallocFn calloc = nullptr;
  ReallocFn realloc = nullptr;
  AlignedFn aligned_alloc = nullptr;
  AlignedFn memalign = nullptr;
  PosixMemalignFn posix_memalign = nullptr;
  MallocFn valloc = nullptr;
  MallocFn pvalloc = nullptr;
  FreeFn free = nullptr;
};
NextAllocator g_next;
bool g_resolving = false;

// What dlsym allocates while the functions are being looked up.
alignas(64) char g_arena[16384];
size_t g_arena_used = 0;

NN_NOT_SANITIZED void* arena_alloc(size_t size) {
  const size_t at = (g_arena_used + 63) / 64 * 64;
  if (at + size > sizeof g_arena) return nullptr;
  g_arena_used = at + size;
  return g_arena + at;
}
NN_NOT_SANITIZED bool from_arena(const void* p) {
  return static_cast<const char*>(p) >= g_arena && static_cast<const char*>(p) < g_arena + sizeof g_arena;
}

// Whether the code at `caller` belongs to a BLAS library (by its file name).
NN_NOT_SANITIZED bool in_blas(void* caller) {
  Dl_info info;
  return dladdr(caller, &info) != 0 && info.dli_fname != nullptr && std::strstr(info.dli_fname, "blas") != nullptr;
}

// Counts one allocation made from `caller` (the return address of the allocation function).
NN_NOT_SANITIZED void count(void* caller) {
  if (in_blas(caller))
    g_blas_allocations.add();
  else
    g_allocations.add();
}

template <class F>
NN_NOT_SANITIZED F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

NN_NOT_SANITIZED const NextAllocator& resolved() {
  if (g_next.free == nullptr && !g_resolving) {
    g_resolving = true;
    NextAllocator n;
    n.malloc = next<MallocFn>("malloc");
    n.calloc = next<CallocFn>("calloc");
    n.realloc = next<ReallocFn>("realloc");
    n.aligned_alloc = next<AlignedFn>("aligned_alloc");
    n.memalign = next<AlignedFn>("memalign");
    n.posix_memalign = next<PosixMemalignFn>("posix_memalign");
    n.valloc = next<MallocFn>("valloc");
    n.pvalloc = next<MallocFn>("pvalloc");
    n.free = next<FreeFn>("free");
    if (n.malloc == nullptr || n.calloc == nullptr || n.realloc == nullptr || n.aligned_alloc == nullptr ||
        n.memalign == nullptr || n.posix_memalign == nullptr || n.free == nullptr)
      std::abort();  // nothing can be counted (or allocated) without them
    g_next = n;
    g_resolving = false;
  }
  return g_next;
}

}  // namespace

extern "C" {

NN_NOT_SANITIZED void* malloc(size_t size) noexcept {
  if (g_resolving) return arena_alloc(size);
  count(__builtin_return_address(0));
  return resolved().malloc(size);
}

NN_NOT_SANITIZED void* calloc(size_t n, size_t size) noexcept {
  if (g_resolving) return arena_alloc(n * size);  // the arena is zero: static storage, never reused
  count(__builtin_return_address(0));
  return resolved().calloc(n, size);
}

NN_NOT_SANITIZED void* realloc(void* p, size_t size) noexcept {
  count(__builtin_return_address(0));
  if (from_arena(p)) {  // never happens in practice; move the block out of the arena
    void* q = resolved().malloc(size);
    if (q != nullptr) __builtin_memcpy(q, p, size);
    return q;
  }
  return resolved().realloc(p, size);
}

NN_NOT_SANITIZED void* aligned_alloc(size_t alignment, size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().aligned_alloc(alignment, size);
}

NN_NOT_SANITIZED void* memalign(size_t alignment, size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().memalign(alignment, size);
}

NN_NOT_SANITIZED int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().posix_memalign(out, alignment, size);
}

NN_NOT_SANITIZED void* valloc(size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().valloc(size);
}

NN_NOT_SANITIZED void* pvalloc(size_t size) noexcept {
  count(__builtin_return_address(0));
  return resolved().pvalloc(size);
}

NN_NOT_SANITIZED void free(void* p) noexcept {
  if (p == nullptr || from_arena(p)) return;
  resolved().free(p);
}

}  // extern "C"

// operator new in every form allocates through the counted functions above (one count each).
// GCC pairs inlined std::allocator calls with the free() below and warns of a
// mismatch; the replacements are matched by design (new -> malloc, delete -> free).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
void* counted_new(std::size_t size) {
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* counted_new(std::size_t size, std::align_val_t alignment) {
  const auto a = static_cast<std::size_t>(alignment);
  void* p = nullptr;
  if (posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a, size ? size : 1) == 0) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_new(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_new(size, a); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size, a);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t& tag) noexcept {
  return operator new(size, a, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace nn::test::alloc {

long allocations() { return g_allocations.load(); }
long blas_allocations() { return g_blas_allocations.load(); }

}  // namespace nn::test::alloc
