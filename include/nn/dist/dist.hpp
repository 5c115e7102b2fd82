/// @file
/// The process group of a data-parallel run: start and stop MPI, this process's rank and the
/// number of ranks, and the few small collectives the trainer needs (sums in a fixed order,
/// broadcasts, an "any rank" vote). This header needs no mpi.h: MPI stays inside the library's
/// sources, and a build without MPI (NN_MPI=OFF) answers rank 0 of 1.
///
/// Every reduction here adds the ranks' values in rank order 0, 1, ..., N-1 on rank 0 and
/// broadcasts the result, so a run is reproducible for a fixed number of ranks.
#pragma once

#include "nn/export.hpp"

#include <cstdint>
#include <span>

namespace nn::dist {

/// Whether this build of nn was compiled with MPI (the CMake option NN_MPI).
NN_API bool built_with_mpi();

/// The number of processes an MPI launcher (mpirun, srun) started this process among, read from
/// its environment (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_SIZE); 0 when no launcher started it.
NN_API int launcher_size();

/// Starts MPI when a launcher started this process (launcher_size() > 0), else does nothing and
/// the process is rank 0 of 1. Throws nn::Error when a launcher started more than one process but
/// this build has no MPI (it would train N independent copies), or when MPI fails to start.
/// Calling it again does nothing.
NN_API void init();

/// Ends MPI if init() started it (after a barrier: every rank finalizes together). Idempotent.
NN_API void finalize();

/// Whether init() started MPI and finalize() has not ended it.
NN_API bool initialized();

/// This process's rank in [0, size()); 0 without MPI.
NN_API int rank();

/// The number of ranks; 1 without MPI.
NN_API int size();

/// Ends every rank of the job now with exit status `code` (MPI_Abort), or this process alone
/// without MPI. Call it after reporting an error that only this rank saw: the other ranks may be
/// waiting in a collective and would otherwise wait for ever.
[[noreturn]] NN_API void abort(int code);

/// Sums `values` element-wise over all ranks, in rank order, into `values` on every rank.
/// Collective: every rank calls it with the same number of values (at most 64).
NN_API void sum(std::span<double> values);

/// Whether `flag` is true on at least one rank (collective).
NN_API bool any(bool flag);

/// Copies rank `root`'s `values` into `values` on every rank (collective; same size everywhere).
NN_API void broadcast(std::span<float> values, int root = 0);

/// Checks that `value` is the same on every rank (collective); otherwise throws nn::Error on
/// every rank naming `what` and the ranks' values.
NN_API void check_same(int64_t value, const char* what);

/// Seconds spent in the collectives of this header (sum, any, broadcast, check_same) since the
/// process started (wall clock, for benchmarks); GradientAllReduce::seconds() counts its own.
NN_API double communication_seconds();

}  // namespace nn::dist
