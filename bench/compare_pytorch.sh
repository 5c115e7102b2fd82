#!/usr/bin/env bash
# Side-by-side training throughput of nn and PyTorch (the current release from PyPI, installed into
# bench/.venv by this script) on the same MLP, Fashion-MNIST data, batch size, optimizer and thread
# budget. Runs are interleaved (nn, PyTorch, nn, ...) over several repeats; PyTorch gets its best
# thread configuration: torch.set_num_threads x OPENBLAS_NUM_THREADS/OMP_NUM_THREADS in {1,2}^2,
# capped at the budget. Prints medians with min-max and the ratio nn / PyTorch.
#
#   bench/compare_pytorch.sh [REPEATS]        (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
scripts/setup.sh release >/dev/null
venv=bench/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q torch numpy
fi
py=$venv/bin/python
nn_bin=build/release/bin/train_mlp
cnn_spec=conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10

run_nn() {  # layers batch optimizer threads
  local what=(--layers "$1")
  [ "$1" = cnn ] && what=(--model "$cnn_spec")
  "$nn_bin" "${what[@]}" --batch "$2" --optimizer "$3" --threads "$4" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["samples_per_second"])'
}
run_torch() {  # layers batch optimizer torch_threads blas_threads
  local script=(bench/torch_train_mlp.py --layers "$1" --optimizer "$3")
  [ "$1" = cnn ] && script=(bench/torch_train_cnn.py --epochs 1)
  OPENBLAS_NUM_THREADS=$5 OMP_NUM_THREADS=$5 MKL_NUM_THREADS=$5 "$py" "${script[@]}" \
    --batch "$2" --threads "$4" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["samples_per_second"])'
}

summary() {  # values... -> "median (min-max)"
  "$py" -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})")' "$@"
}
median() { "$py" -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

torch_version=$("$py" -c 'import torch; print(torch.__version__)')
echo "nn vs PyTorch $torch_version, Fashion-MNIST training samples/s, one epoch, $repeats repeats, $(date -u +%F)"
printf '%-34s %-8s %-22s %-22s %-14s %s\n' workload threads nn "PyTorch (best config)" "torch config" "nn/PyTorch"
for workload in "128,32 64 sgd" "128,32 256 sgd" "128,32 64 adam" "512,256 128 sgd" "cnn 64 adam"; do
  set -- $workload
  layers=$1 batch=$2 opt=$3
  for threads in 1 2; do
    # PyTorch's best configuration within the budget, chosen on one warm-up run each.
    best_cfg="" best=0
    for tt in 1 2; do
      for bt in 1 2; do
        [ "$tt" -le "$threads" ] && [ "$bt" -le "$threads" ] || continue
        v=$(run_torch "$layers" "$batch" "$opt" "$tt" "$bt")
        if "$py" -c "import sys; sys.exit(0 if $v > $best else 1)"; then best=$v best_cfg="$tt $bt"; fi
      done
    done
    set -- $best_cfg
    nn_runs=() torch_runs=()
    for ((r = 0; r < repeats; ++r)); do
      nn_runs+=("$(run_nn "$layers" "$batch" "$opt" "$threads")")
      torch_runs+=("$(run_torch "$layers" "$batch" "$opt" "$1" "$2")")
    done
    ratio=$("$py" -c "print(f'{$(median "${nn_runs[@]}") / $(median "${torch_runs[@]}"):.2f}x')")
    name="MLP 784-${layers//,/-}-10 b$batch $opt"
    [ "$layers" = cnn ] && name="small CNN b$batch $opt"
    printf '%-34s %-8s %-22s %-22s %-14s %s\n' "$name" "$threads" \
      "$(summary "${nn_runs[@]}")" "$(summary "${torch_runs[@]}")" "set_num_threads=$1 blas=$2" "$ratio"
  done
done
