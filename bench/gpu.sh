#!/usr/bin/env bash
# The GPU check of the CUDA backend, for a machine with an NVIDIA GPU, nvcc and cuBLAS: builds nn
# with NN_CUDA=ON, runs the test suite's GPU cases (the device table's cuda cases, the device round
# trips), then the benchmark: nn (bench/gpu_train) next to PyTorch CUDA (bench/torch_gpu_train.py:
# eager, torch.compile, whole-step CUDA graphs) on the main MLP at batch 64, the small CNN at batch
# 64 and the wide MLP at batch 1024, the last also as a share of cuBLAS's SGEMM rate on the same
# shapes (bench/cublas_sgemm). Prints a table; everything it measured is in build/gpu/bench.jsonl.
# About 5 minutes on a 16-core H200 machine (most of it the build).
#
# PyTorch: the Python in NN_TORCH_PYTHON when set, else python3 when its torch sees the GPU, else a
# venv under build/gpu made with torch from PyPI; without any, the PyTorch columns say why.
# Usage: bench/gpu.sh [--skip-build] [--skip-tests] [--all-tests]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build/gpu
skip_build=0
skip_tests=0
all_tests=0
for arg in "$@"; do
  case "$arg" in
    --skip-build) skip_build=1 ;;
    --skip-tests) skip_tests=1 ;;
    --all-tests) all_tests=1 ;;
    *) echo "usage: bench/gpu.sh [--skip-build] [--skip-tests] [--all-tests]" >&2; exit 2 ;;
  esac
done
jobs=$(nproc)
step() { echo "== gpu.sh: $*" >&2; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true

if [ "$skip_build" = 0 ]; then
  # What this build needs from Debian (a subset of scripts/setup.sh's list), where apt can get it.
  need=(build-essential cmake python3 python3-venv libopenblas-openmp-dev libcli11-dev nlohmann-json3-dev
        zlib1g-dev libpng-dev libgtest-dev libgmock-dev)
  missing=()
  for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    step "installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
        --no-install-recommends "${missing[@]}" >/dev/null; } || echo "gpu.sh: apt-get failed; building with what is here" >&2
  fi
  step "configure and build (NN_CUDA=ON, $jobs jobs)"
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache); fi
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DNN_CUDA=ON -DNN_BUILD_PYTHON=OFF -DNN_BUILD_EXAMPLES=OFF \
        "${launcher[@]}" >/dev/null
  cmake --build "$build" -j "$jobs" --target nn_tests nn-cli gpu_train cublas_sgemm
fi
bin=$build/bin
"$bin/nn" info >&2

if [ "$skip_tests" = 0 ]; then
  if [ "$all_tests" = 1 ]; then
    step "the whole test suite"
    ctest --test-dir "$build" -j "$jobs" --output-on-failure
  else
    step "the GPU cases of the test suite"
    # Device-table cases end in /cuda0 (their CPU twins in /cpu run too), plus the device tests.
    "$bin/nn_tests" --gtest_filter='*cuda*:*Cuda*:*Device*' --gtest_brief=1
  fi
fi

out=$build/bench.jsonl
: > "$out"
MLP="linear:128,relu,linear:32,relu,linear:10"
WIDE="linear:512,relu,linear:256,relu,linear:10"
CNN="conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10"

step "nn on the GPU"
nn_run() {  # name, then gpu_train's arguments
  local name=$1
  shift
  "$bin/gpu_train" "$@" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["side"]="nn"; d["workload"]=sys.argv[1]; print(json.dumps(d))' "$name" >> "$out" \
    || echo "{\"side\": \"nn\", \"workload\": \"$name\", \"error\": \"gpu_train failed\"}" >> "$out"
}
nn_run mlp-b64 --model "$MLP" --batch 64
nn_run mlp-b64-plain --model "$MLP" --batch 64 --graphs 0
nn_run cnn-b64 --model "$CNN" --batch 64 --optimizer adam
nn_run wide-b1024 --model "$WIDE" --batch 1024

step "cuBLAS SGEMM on the wide MLP's shapes"
"$bin/cublas_sgemm" --layers 784,512,256,10 --batch 1024 |
  python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["side"]="cublas"; d["workload"]="wide-b1024"; print(json.dumps(d))' >> "$out" ||
  echo '{"side": "cublas", "workload": "wide-b1024", "error": "cublas_sgemm failed"}' >> "$out"

step "PyTorch CUDA"
py=""
if [ -n "${NN_TORCH_PYTHON:-}" ]; then
  py=$NN_TORCH_PYTHON
elif python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  py=python3
else
  venv=$build/torch-venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" && timeout 600 "$venv/bin/pip" install -q torch >&2 || rm -rf "$venv"
  fi
  [ -x "$venv/bin/python" ] && py=$venv/bin/python
fi
torch_run() {  # name, then torch_gpu_train.py's arguments
  local name=$1
  shift
  if [ -z "$py" ]; then
    echo "{\"side\": \"pytorch\", \"workload\": \"$name\", \"error\": \"no PyTorch with CUDA (set NN_TORCH_PYTHON)\"}" >> "$out"
    return
  fi
  "$py" bench/torch_gpu_train.py "$@" |
    python3 -c 'import json,sys
for line in sys.stdin:
    d = json.loads(line); d["workload"] = sys.argv[1]; print(json.dumps(d))' "$name" >> "$out" ||
    echo "{\"side\": \"pytorch\", \"workload\": \"$name\", \"error\": \"torch_gpu_train.py failed\"}" >> "$out"
}
torch_run mlp-b64 --model mlp --batch 64
torch_run cnn-b64 --model cnn --batch 64 --optimizer adam
torch_run wide-b1024 --model wide --batch 1024

step "results"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def find(side, workload, mode=None):
    for r in rows:
        if r.get("side") == side and r.get("workload") == workload and (mode is None or r.get("mode") == mode):
            return r
    return {}
def rate(r):
    return r.get("samples_per_second") if "samples_per_second" in r else None
print(f"{'workload':<12} {'nn samples/s':>13} {'eager':>10} {'compile':>10} {'graphs':>10} {'nn/eager':>9} {'nn/graphs':>10}  nn steps")
for w, target in [("mlp-b64", 3.0), ("cnn-b64", 1.5), ("wide-b1024", None)]:
    n = find("nn", w)
    e, c, g = (find("pytorch", w, m) for m in ("eager", "compile", "graphs"))
    fmt = lambda r: f"{rate(r):>10.0f}" if rate(r) else f"{'-':>10}"
    ratio = lambda a, b: f"{rate(a) / rate(b):.2f}x" if rate(a) and rate(b) else "-"
    print(f"{w:<12} {rate(n) or 0:>13.0f} {fmt(e)} {fmt(c)} {fmt(g)} {ratio(n, e):>9} {ratio(n, g):>10}  "
          f"{n.get('steps', n.get('error', ''))}" + (f"  (target >= {target}x eager)" if target else ""))
plain = find("nn", "mlp-b64-plain")
if rate(plain):
    print(f"nn mlp-b64 with plain launches: {rate(plain):.0f} samples/s ({plain.get('steps', '')})")
cub, wide = find("cublas", "wide-b1024"), find("nn", "wide-b1024")
if cub.get("gflops") and rate(wide):
    achieved = rate(wide) / 1024 * cub["flops_per_step"] / 1e9
    print(f"wide MLP b1024: nn runs its GEMM work at {achieved:.0f} GFLOP/s, {100 * achieved / cub['gflops']:.0f}% of "
          f"cuBLAS SGEMM's {cub['gflops']:.0f} GFLOP/s on the same shapes (nn's time includes everything else of a step)")
for r in rows:
    if "error" in r:
        print(f"note: {r.get('side')} {r.get('workload')} {r.get('mode', '')}: {r['error']}")
PY
