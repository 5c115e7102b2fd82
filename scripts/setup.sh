#!/usr/bin/env bash
# Installs the Debian packages nn needs (only those missing) and configures + builds a preset.
# tmux: the terminal test (cli.terminal) runs nn train in a tmux pane.
# python3-torch, python3-numpy and python3-venv serve the PyTorch interoperability test (interop.torch),
# which makes its own venv under the build folder for the one package Debian lacks (safetensors).
# python3-dev and python3-venv serve the Python package (python/): its headers, and the venv the
# release configure step makes for nanobind, scikit-build-core, numpy and pytest (tests/python/).
# the ONNX test (interop.onnx) adds onnx and onnxruntime from PyPI to a venv of its own.
# Usage: scripts/setup.sh [preset...]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config python3 libopenblas-openmp-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
          libgtest-dev libgmock-dev libbenchmark-dev libpng-dev dataset-fashion-mnist chromium tmux
          python3-torch python3-numpy python3-venv python3-dev
          libprotobuf-dev protobuf-compiler libonnx-dev  # ONNX import/export (protobuf, the onnx.proto schema)
          clang libomp-dev   # clang, libomp-dev: the fuzz targets (fuzz/run.sh)
          doxygen            # the API reference and its warning check (docs/Doxyfile)
          libopenmpi-dev openmpi-bin)  # data-parallel training (NN_MPI, mpirun; the dist.mpi test)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "nn: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(release)
for preset in "${presets[@]}"; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
done
