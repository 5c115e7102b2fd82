"""The README's main job (./run.sh) done with PyTorch, for bench/compare.py's peak-memory
comparison: Fashion-MNIST, the 784-128-32-10 ReLU MLP, Adam lr 1e-3, cosine learning-rate schedule
over the epochs (stepped once per epoch), 15 epochs, batch 64, and nn train's default validation
split: 10% of the training images held out, stratified by class (the per-class counts rounded as
nn does; the draw itself comes from NumPy seeded with --seed), the validation loss and accuracy
computed after every epoch, then the test accuracy. As nn does, the images stay uint8 in memory
and each batch is converted to float32 in [0, 1] when it is gathered. With --out DIR it writes
the model (model.pt) and per-epoch metrics (metrics.jsonl) there, as nn's run folder holds them.
Prints one JSON object, including this process's own peak resident memory.

python torch_main_job.py [--epochs 15] [--threads 0] [--out DIR]
"""
import argparse
import json
import math
import os
import resource
import time

import numpy as np
import torch

from fashion_mnist import read_idx


def stratified_split(labels, fraction, seed):
    """Indices (train, val): ceil(fraction * N) samples for validation, each class's share rounded
    by largest remainder."""
    n = len(labels)
    n_val = math.ceil(fraction * n)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * n_val / n
    quota = np.floor(exact).astype(np.int64)
    for c in np.argsort(-(exact - quota), kind="stable")[: n_val - quota.sum()]:
        quota[c] += 1
    rng = np.random.default_rng(seed)
    val = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)])
    mask = np.ones(n, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask), np.sort(val)


def evaluate(model, loss_fn, x, y, chunk=1000):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(x), chunk):
            out = model(x[s : s + chunk].float().div_(255))
            loss += loss_fn(out, y[s : s + chunk]).item() * len(out)
            correct += (out.argmax(1) == y[s : s + chunk]).sum().item()
    model.train()
    return loss / len(x), correct / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--val-split", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores, as nn train's default)")
    p.add_argument("--out", default="", help="folder for model.pt and metrics.jsonl")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads if a.threads > 0 else os.cpu_count())
    torch.manual_seed(a.seed)
    d = a.data_dir
    images = torch.from_numpy(read_idx(f"{d}/train-images-idx3-ubyte.gz").reshape(-1, 784).copy())
    labels = read_idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64)
    train_idx, val_idx = stratified_split(labels, a.val_split, a.seed)
    x, y = images[train_idx], torch.from_numpy(labels[train_idx])
    xv, yv = images[val_idx], torch.from_numpy(labels[val_idx])
    del images
    xt = torch.from_numpy(read_idx(f"{d}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).copy())
    yt = torch.from_numpy(read_idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))

    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 32),
                                torch.nn.ReLU(), torch.nn.Linear(32, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    metrics = []
    t0 = time.perf_counter()
    for epoch in range(a.epochs):
        te = time.perf_counter()
        perm = torch.randperm(len(x))
        total, correct, seen = 0.0, 0, 0
        for s in range(0, len(x), a.batch):
            idx = perm[s : s + a.batch]
            out = model(x[idx].float().div_(255))
            loss = loss_fn(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += (out.argmax(1) == y[idx]).sum().item()
            seen += len(idx)
        lr = opt.param_groups[0]["lr"]
        sched.step()
        val_loss, val_acc = evaluate(model, loss_fn, xv, yv)
        seconds = time.perf_counter() - te
        metrics.append({"epoch": epoch + 1, "train_loss": total / seen, "train_accuracy": correct / seen,
                        "val_loss": val_loss, "val_accuracy": val_acc, "lr": lr, "seconds": seconds,
                        "samples_per_second": seen / seconds})
    train_seconds = time.perf_counter() - t0
    test_loss, test_acc = evaluate(model, loss_fn, xt, yt)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))
        with open(os.path.join(a.out, "metrics.jsonl"), "w") as f:
            for m in metrics:
                f.write(json.dumps(m) + "\n")
    print(json.dumps({"impl": "torch " + torch.__version__, "epochs": a.epochs, "train_samples": len(x),
                      "val_samples": len(xv), "train_seconds": round(train_seconds, 2),
                      "val_accuracy": round(metrics[-1]["val_accuracy"], 4) if metrics else None,
                      "test_loss": round(test_loss, 4), "test_accuracy": round(test_acc, 4),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
