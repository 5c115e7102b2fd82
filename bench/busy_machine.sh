#!/bin/bash
# The busy-machine case of issue 19 (docs/performance.md, "Busy machines"): nn's training loop with
# --threads 1 and with the default (all cores), on an idle machine and with a CPU hog on the last
# core, and the ratio default / one thread under the hog (target: at most 1.2).
#
#   bench/busy_machine.sh [REPEATS]     (median of REPEATS runs, default 3; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release/bin
REPEATS=${1:-3}
CORES=$(nproc)
CNN="conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10"
[ -x "$B/train_mlp" ] || { echo "busy_machine.sh: build the release preset first" >&2; exit 2; }
[ "$CORES" -ge 2 ] || { echo "busy_machine.sh: needs at least 2 cores" >&2; exit 2; }

seconds() {  # median seconds of REPEATS runs of train_mlp ARGS...
  for _ in $(seq "$REPEATS"); do
    "$B/train_mlp" "$@" | python3 -c 'import json, sys; print(json.load(sys.stdin)["seconds"])'
  done | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}

HOG=
stop_hog() { [ -n "$HOG" ] && kill "$HOG" 2>/dev/null; HOG=; }
trap stop_hog EXIT

printf "%-22s %10s %10s %10s %10s %12s\n" workload "idle 1" "idle $CORES" "hog 1" "hog $CORES" "hog ratio"
for w in "mlp-b64|" "mlp-wide|--layers 512,256 --batch 128" "cnn|--model $CNN --optimizer adam --max-batches 300"; do
  name=${w%%|*}
  read -r -a args <<< "${w#*|}"
  i1=$(seconds --threads 1 "${args[@]}"); iN=$(seconds --threads "$CORES" "${args[@]}")
  taskset -c $((CORES - 1)) sh -c 'while :; do :; done' & HOG=$!
  sleep 0.3
  h1=$(seconds --threads 1 "${args[@]}"); hN=$(seconds --threads "$CORES" "${args[@]}")
  stop_hog
  printf "%-22s %10s %10s %10s %10s %11.2fx\n" "$name (s)" "$i1" "$iN" "$h1" "$hN" "$(python3 -c "print($hN / $h1)")"
done
