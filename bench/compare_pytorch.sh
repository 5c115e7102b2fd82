#!/usr/bin/env bash
# nn and PyTorch side by side: builds nn (scripts/setup.sh release), makes sure both PyTorch
# releases are there (the current one from PyPI in bench/.venv, Debian's python3-torch 1.13 under
# /usr/bin/python3), onnxruntime and onnx from PyPI (bench/.venv) and Debian's dlib, then runs
# bench/compare.py, which times every workload in nn with OpenBLAS's AVX2 kernels
# (OPENBLAS_CORETYPE=Haswell) and with its own kernel choice (env -u OPENBLAS_CORETYPE), both PyTorch
# releases and, for batch inference, onnxruntime, with the same data, model, batch size, optimizer
# and thread budget; then the busy-machine case (a CPU hog on one core) and the main job's peak
# memory; and prints the tables.
#
#   bench/compare_pytorch.sh [REPEATS] [compare.py options]          (REPEATS default 3)
#   bench/compare_pytorch.sh 1 --only mlp-b64 xor                    (a quick run)
#   bench/compare_pytorch.sh 3 --markdown bench-results.md           (also as Markdown)
# Workloads: mlp-b64 mlp-b256 mlp-wide cnn cnn-strong xor infer infer-b256 busy memory;
# `bench/.venv/bin/python bench/compare.py -h`.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=3
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then repeats=$1; shift; fi
command="bench/compare_pytorch.sh $repeats${*:+ $*}"

# Debian's dlib, for the nn vs dlib table (bench/dlib_train_mlp is built when CMake finds it).
if ! dpkg-query -W -f='${Status}' libdlib-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "nn: installing libdlib-dev (Debian's dlib)" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  if ! { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libdlib-dev >/dev/null; }; then
    echo "nn: could not install libdlib-dev; the nn vs dlib table is left out" >&2
  fi
  cmake --preset release >/dev/null  # so that the build finds it
fi

scripts/setup.sh release >/dev/null

# PyTorch from PyPI, in bench/.venv (which may be a link to a shared environment).
venv=bench/.venv
if [ ! -x "$venv/bin/python" ]; then
  target=$venv
  [ -L "$venv" ] && target=$(readlink -f "$venv")  # a link to a folder not yet made
  echo "nn: creating $target with torch and numpy from PyPI" >&2
  python3 -m venv "$target"
  "$target/bin/pip" install -q --upgrade pip >/dev/null
  "$target/bin/pip" install -q torch numpy
fi
# onnxruntime (and onnx) for the batch-inference column.
if ! "$venv/bin/python" -c "import onnxruntime, onnx" 2>/dev/null; then
  echo "nn: installing onnxruntime and onnx from PyPI into $venv" >&2
  "$venv/bin/pip" install -q onnxruntime onnx || echo "nn: could not install onnxruntime; its column says n/a" >&2
fi

# Debian's PyTorch 1.13, for /usr/bin/python3 (python3 on PATH may be another Python). When it
# cannot be installed, compare.py says n/a in its column.
if ! dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed"; then
  echo "nn: installing python3-torch (Debian's PyTorch)" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends python3-torch >/dev/null; }; then
    echo "nn: could not install python3-torch; the Debian PyTorch column will say n/a" >&2
  fi
fi

exec "$venv/bin/python" bench/compare.py --repeats "$repeats" --command "$command" "$@"
