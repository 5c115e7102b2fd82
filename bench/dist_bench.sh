#!/usr/bin/env bash
# Data-parallel training side by side on one machine: 1 rank x 2 threads against 2 ranks x 1
# thread (mpirun), for the main job's MLP and the small CNN on Fashion-MNIST, global batch 64; and
# 1 rank x 1 thread, the compute time of a step without parallelism.
# Prints one JSON line per run (bench/dist_train.cpp) and a Markdown table: samples/s, time per
# step and the part of it in the gradient all-reduce.
#   bench/dist_bench.sh [BUILD_DIR=build/release] [MAX_BATCHES=300]
set -euo pipefail
BUILD=${1:-build/release}
MAX=${2:-300}
BIN=$BUILD/bin/dist_train
[ -x "$BIN" ] || { echo "dist_bench: $BIN not built (NN_MPI=OFF?)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MLP=linear:128,relu,linear:32,relu,linear:10
CNN=conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for model in "$MLP" "$CNN"; do
  "$BIN" --model "$model" --threads 1 --max-batches "$MAX" | tee -a "$out"
  "$BIN" --model "$model" --threads 2 --max-batches "$MAX" | tee -a "$out"
  mpirun --oversubscribe --bind-to none -np 2 "$BIN" --model "$model" --threads 1 --max-batches "$MAX" | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("\n| model | ranks x threads | samples/s | ms per step | all-reduce ms per step (incl. waiting) | all-reduce alone, ms | gradient floats |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    name = "MLP" if r["model"].startswith("linear") else "small CNN"
    print("| %s | %d x %d | %.0f | %.2f | %.3f | %.3f | %d |" % (name, r["ranks"], r["threads_per_rank"],
          r["samples_per_second"], r["ms_per_step"], r["comm_ms_per_step"], r["allreduce_alone_ms"], r["grad_floats"]))
PY
