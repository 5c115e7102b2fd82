// The one check of an MPI call's return code in nn::dist (internal; MPI stays in the sources).
#pragma once

#if NN_HAVE_MPI
#include <mpi.h>

#include <string>

#include "nn/error.hpp"

namespace nn::dist::detail {

// nn::Error "MPI: <what> failed<where> on rank R of N: <MPI's text>" unless rc is MPI_SUCCESS.
inline void check_mpi(int rc, const char* what, const char* where, int rank, int size) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  fail("MPI: ", what, " failed", where, " on rank ", rank, " of ", size, ": ", std::string(text, static_cast<size_t>(len)));
}

}  // namespace nn::dist::detail
#endif
