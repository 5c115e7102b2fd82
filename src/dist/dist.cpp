#include "nn/dist/dist.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "nn/error.hpp"
#include "check_mpi.hpp"

#if NN_HAVE_MPI
#include <mpi.h>
#endif

namespace nn::dist {

namespace {

bool g_started = false;  // init() started MPI (and finalize() has not ended it)
int g_rank = 0;
int g_size = 1;
double g_comm_seconds = 0.0;

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n > 0 && n < (1L << 24)) ? static_cast<int>(n) : 0;
}

#if NN_HAVE_MPI
void check_mpi(int rc, const char* what) { detail::check_mpi(rc, what, "", g_rank, g_size); }

// Times a collective into g_comm_seconds.
class CommTimer {
 public:
  CommTimer() : t0_(std::chrono::steady_clock::now()) {}
  ~CommTimer() { g_comm_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }
  CommTimer(const CommTimer&) = delete;
  CommTimer& operator=(const CommTimer&) = delete;

 private:
  std::chrono::steady_clock::time_point t0_;
};
#endif

}  // namespace

bool built_with_mpi() { return NN_HAVE_MPI != 0; }

int launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"}) {
    if (const int n = env_int(name); n > 0) return n;
  }
  return 0;
}

void init() {
  if (g_started) return;
  const int launched = launcher_size();
  if (launched == 0) return;
#if NN_HAVE_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (already == 0) check_mpi(MPI_Init(nullptr, nullptr), "MPI_Init");
  // Errors come back as codes (turned into nn::Error) instead of ending the process unexplained.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &g_rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &g_size), "MPI_Comm_size");
  g_started = true;
#else
  NN_CHECK(launched <= 1, "this nn was built without MPI (NN_MPI=OFF) but a launcher started it as one of ", launched,
           " processes: each would train its own copy; rebuild nn with Open MPI (libopenmpi-dev) or run one process");
#endif
}

void finalize() {
#if NN_HAVE_MPI
  if (!g_started) return;
  int done = 0;
  MPI_Finalized(&done);
  if (done == 0) MPI_Finalize();
  g_started = false;
  g_rank = 0;
  g_size = 1;
#endif
}

bool initialized() { return g_started; }
int rank() { return g_rank; }
int size() { return g_size; }

void abort(int code) {
#if NN_HAVE_MPI
  if (g_started && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

void sum(std::span<double> values) {
  NN_CHECK(values.size() <= 64, "dist::sum: at most 64 values, found ", values.size());
#if NN_HAVE_MPI
  if (!g_started || g_size == 1 || values.empty()) return;
  CommTimer timer;
  // Gathered on rank 0 and added there in rank order, then broadcast: a fixed order. The
  // buffer grows once to the largest call and is reused.
  static std::vector<double> gathered;
  const size_t need = values.size() * static_cast<size_t>(g_size);
  if (gathered.size() < need) gathered.resize(need);
  const int n = static_cast<int>(values.size());
  check_mpi(MPI_Gather(values.data(), n, MPI_DOUBLE, gathered.data(), n, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Gather");
  if (g_rank == 0) {
    for (size_t i = 0; i < values.size(); ++i) {
      double s = gathered[i];
      for (size_t r = 1; r < static_cast<size_t>(g_size); ++r) s += gathered[r * values.size() + i];
      values[i] = s;
    }
  }
  check_mpi(MPI_Bcast(values.data(), n, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Bcast");
#endif
}

bool any(bool flag) {
  std::array<double, 1> v{flag ? 1.0 : 0.0};
  sum(v);
  return v[0] > 0.0;
}

void broadcast(std::span<float> values, int root) {
#if NN_HAVE_MPI
  if (!g_started || g_size == 1) return;
  CommTimer timer;
  constexpr size_t kChunk = size_t{1} << 28;  // MPI counts are int
  for (size_t at = 0; at < values.size(); at += kChunk) {
    const size_t n = std::min(kChunk, values.size() - at);
    check_mpi(MPI_Bcast(values.data() + at, static_cast<int>(n), MPI_FLOAT, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
#else
  (void)values;
  (void)root;
#endif
}

void check_same(int64_t value, const char* what) {
#if NN_HAVE_MPI
  if (!g_started || g_size == 1) return;
  std::vector<int64_t> all(static_cast<size_t>(g_size));
  {
    CommTimer timer;
    check_mpi(MPI_Allgather(&value, 1, MPI_INT64_T, all.data(), 1, MPI_INT64_T, MPI_COMM_WORLD), "MPI_Allgather");
  }
  if (std::all_of(all.begin(), all.end(), [&](int64_t v) { return v == all[0]; })) return;
  std::string values;
  for (size_t r = 0; r < all.size() && r < 8; ++r)
    values += (r > 0 ? ", rank " : "rank ") + std::to_string(r) + ": " + std::to_string(all[r]);
  if (all.size() > 8) values += ", ...";
  fail("data-parallel run: ", what, " differs between ranks (", values, ")");
#else
  (void)value;
  (void)what;
#endif
}

double communication_seconds() { return g_comm_seconds; }

}  // namespace nn::dist
