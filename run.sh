#!/usr/bin/env bash
# The main job: installs what nn needs, builds it, trains the tutorial's 784-128-32-10 MLP on
# Fashion-MNIST, reports the test accuracy and writes the run folder fashion-mlp/ (report.html
# with pictures, model.safetensors, metrics.jsonl, run.json). Extra arguments go to `nn train`.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh release
exec build/release/bin/nn train --data fashion-mnist --model linear:128,relu,linear:32,relu,linear:10 \
  --epochs 15 --batch-size 64 --optimizer adam --lr 0.001 --scheduler cosine \
  --report fashion-mlp "$@"
