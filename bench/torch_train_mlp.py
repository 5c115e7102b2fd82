"""The PyTorch side of bench/compare_pytorch.sh: the same MLP, data, batch size and optimizer as
bench/train_mlp.cpp, data preloaded as float32 in [0, 1], the training loop timed alone.

python torch_train_mlp.py --layers 128,32 --batch 64 --epochs 1 --optimizer sgd --threads 1 [--max-batches N]
(OPENBLAS_NUM_THREADS / OMP_NUM_THREADS are set by the caller.)
"""
import argparse
import json
import time

import numpy as np
import torch

from fashion_mnist import read_idx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--layers", default="128,32")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--optimizer", default="sgd")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-batches", type=int, default=0, help="stop each epoch after this many batches (warm-up runs)")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.from_numpy(read_idx(f"{a.data_dir}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(read_idx(f"{a.data_dir}/train-labels-idx1-ubyte.gz").astype(np.int64))
    sizes = [784] + [int(s) for s in a.layers.split(",")]
    mods = []
    for i in range(len(sizes) - 1):
        mods += [torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU()]
    model = torch.nn.Sequential(*mods, torch.nn.Linear(sizes[-1], 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    if a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    n = x.shape[0]
    seconds, samples = 0.0, 0
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for b, start in enumerate(range(0, n, a.batch)):
            if a.max_batches and b >= a.max_batches:
                break
            idx = perm[start : start + a.batch]
            xb, yb = x[idx], y[idx]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            samples += len(idx)
        seconds += time.perf_counter() - t0
    print(json.dumps({"impl": "torch " + torch.__version__, "layers": a.layers, "batch": a.batch,
                      "optimizer": a.optimizer, "threads": a.threads, "seconds": round(seconds, 4),
                      "samples_per_second": round(samples / seconds, 1)}))


if __name__ == "__main__":
    main()
