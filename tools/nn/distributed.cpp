#include "distributed.hpp"

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "commands.hpp"
#include "nn/dist/dist.hpp"
#include "nn/error.hpp"

namespace nn::cli {

namespace {

// Reports an error seen on this rank and ends every rank of the job.
[[noreturn]] void abort_job(const char* what) {
  std::fflush(stdout);
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
