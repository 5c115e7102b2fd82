#include "distributed.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <thread>

#include "commands.hpp"
#include "nn/dist/dist.hpp"
#include "nn/error.hpp"

namespace nn::cli {

namespace {

// Reports an error seen on this rank and ends every rank of the job. An error that every rank
// sees (a diverged loss, an error in a reduced figure, the same bad flag) should be one line, not
// N: the ranks but rank 0 wait 2 s first, and rank 0's MPI_Abort ends them before they print. A
// rank that fails alone reports after those 2 s, well within the few seconds a fault may take.
[[noreturn]] void abort_job(const char* what) {
  std::fflush(stdout);
  if (dist::rank() != 0) std::this_thread::sleep_for(std::chrono::seconds(2));
  std::string msg = what;
  for (char& c : msg)
    if (c == '\n') c = ' ';
  std::fprintf(stderr, "nn: error: rank %d of %d: %s\n", dist::rank(), dist::size(), msg.c_str());
  std::fflush(stderr);
  dist::abort(1);
}

}  // namespace

bool is_root_rank() { return dist::rank() == 0; }

void check_data_parallel(const TrainOptions& o) {
  if (dist::size() == 1) return;
  NN_CHECK(!is_classic(o.model), "--model ", o.model, ": the classic neurons train in one process, not under ",
           "mpirun with ", dist::size(), " processes");
}

int run_train_command(const TrainOptions& o) {
  dist::init();
  if (dist::size() == 1) {
    const int rc = run_train(o);
    dist::finalize();
    return rc;
  }
  int rc = 1;
  try {
    rc = run_train(o);
  } catch (const std::bad_alloc&) {
    abort_job("out of memory: the data or the model does not fit in this machine's memory");
  } catch (const std::exception& e) {
    abort_job(e.what());
  }
  dist::finalize();
  return rc;
}

}  // namespace nn::cli
