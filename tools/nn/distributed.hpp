// `mpirun -np N nn train ...`: the command's side of data-parallel training (nn::dist). The
// library does the reductions; this file starts and ends MPI around `nn train`, turns an error on
// one rank into one line naming the rank and ends every rank, and says which rank writes.
#pragma once

#include "options.hpp"

namespace nn::cli {

// `nn train`: starts MPI when a launcher started the process (else one process, as always), runs
// run_train, and ends MPI. An error under MPI with several ranks prints "nn: error: rank R of N:
// MESSAGE" and ends the whole job (MPI_Abort) so that no rank waits for ever; with one process it
// is rethrown for main to print.
int run_train_command(const TrainOptions& o);

// Whether this process prints and writes files: rank 0, or the only process.
bool is_root_rank();

// Refuses what a data-parallel run cannot do (the classic neurons train sample by sample in one
// process); nothing when there is one rank.
void check_data_parallel(const TrainOptions& o);

}  // namespace nn::cli
