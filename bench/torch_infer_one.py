"""PyTorch's side of bench/infer_one.cpp: microseconds per single-image inference of the main
job's MLP (784-128-32-10, ReLU) in evaluation mode under torch.inference_mode(). The 10,000
Fashion-MNIST test images are preloaded as float32 in [0, 1] and cycled, one [1, 784] slice per
call; the first --warmup calls are not timed. Prints one JSON object.

python torch_infer_one.py --calls 50000 --warmup 5000 --threads 1
(OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS are set by the caller.)
"""
import argparse
import json
import time

import numpy as np
import torch

from fashion_mnist import read_idx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=50000)
    p.add_argument("--warmup", type=int, default=5000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--layers", default="128,32")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.from_numpy(read_idx(f"{a.data_dir}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    n = x.shape[0]
    sizes = [784] + [int(s) for s in a.layers.split(",")]
    mods = []
    for i in range(len(sizes) - 1):
        mods += [torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU()]
    model = torch.nn.Sequential(*mods, torch.nn.Linear(sizes[-1], 10))
    model.eval()

    def run(first, calls):
        sink = 0.0
        with torch.inference_mode():
            for c in range(first, first + calls):
                i = c % n
                out = model(x[i : i + 1])
            sink += float(out[0, 0])
        return sink

    run(0, a.warmup)
    t0 = time.perf_counter()
    run(0, a.calls)
    seconds = time.perf_counter() - t0
    print(json.dumps({"impl": "torch " + torch.__version__, "layers": a.layers, "threads": a.threads,
                      "calls": a.calls, "seconds": round(seconds, 4),
                      "us_per_call": round(seconds * 1e6 / a.calls, 4)}))


if __name__ == "__main__":
    main()
