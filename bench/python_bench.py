"""nn from Python, side by side with PyTorch, in one run (prints a table and one JSON object):

1. one XOR training step called from Python (Linear(2, 3), Tanh, Linear(3, 1), Tanh, MSE, SGD, one
   sample: forward, loss, backward, step, zero_grad), nn and torch; bench/xor_step is the same step
   in C++;
2. one epoch of the 784-128-32-10 MLP on Fashion-MNIST at batch 64 (SGD, momentum 0.9, shuffled)
   written as a Python loop, nn and torch, next to bench/train_mlp (the same loop in C++);
3. nn.fit on the NumPy arrays against `nn train` (the command) for the same epoch.

Usage (Debian's python3 has torch; the package comes from the build):
  PYTHONPATH=build/release/python /usr/bin/python3 bench/python_bench.py [--build build/release] [--threads 1]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

import nn

try:
    import torch
except ImportError:
    torch = None

DATA = "/usr/share/datasets/fashion-mnist"


def xor_nn(steps):
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Tanh())
    loss_fn, opt = nn.MSELoss(), None
    opt = nn.SGD(model.parameters(), lr=0.1)
    xs = [nn.tensor([[0, 0]]), nn.tensor([[0, 1]]), nn.tensor([[1, 0]]), nn.tensor([[1, 1]])]
    ys = [nn.tensor([[0]]), nn.tensor([[1]]), nn.tensor([[1]]), nn.tensor([[0]])]
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for i in range(steps):
            x, y = xs[i & 3], ys[i & 3]
            loss_fn(model(x), y)
            model.backward(loss_fn.backward())
            opt.step()
            opt.zero_grad()
        best = min(best, (time.perf_counter() - t0) / steps * 1e6)
    return best


def xor_torch(steps):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1), torch.nn.Tanh())
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    xs = [torch.tensor([[a, b]], dtype=torch.float32) for a, b in ((0, 0), (0, 1), (1, 0), (1, 1))]
    ys = [torch.tensor([[v]], dtype=torch.float32) for v in (0, 1, 1, 0)]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(steps):
            loss = loss_fn(model(xs[i & 3]), ys[i & 3])
            loss.backward()
            opt.step()
            opt.zero_grad()
        best = min(best, (time.perf_counter() - t0) / steps * 1e6)
    return best


def mlp_epoch_nn(X, y, batch):
    nn.manual_seed(1)
    model = nn.Sequential(nn.Linear(784, 128, init="he"), nn.ReLU(), nn.Linear(128, 32, init="he"), nn.ReLU(),
                          nn.Linear(32, 10, init="he"))
    model[0].input_grad = False
    loss_fn = nn.SoftmaxCrossEntropyLoss()
    opt = nn.SGD(model.parameters(), lr=0.01, momentum=0.9)
    order = np.random.default_rng(1).permutation(len(X))
    t0 = time.perf_counter()
    for start in range(0, len(X), batch):
        idx = order[start:start + batch]
        loss_fn(model(X[idx]), y[idx])
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    return time.perf_counter() - t0


def mlp_epoch_torch(X, y, batch):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    order = torch.from_numpy(np.random.default_rng(1).permutation(len(X)))
    t0 = time.perf_counter()
    for start in range(0, len(X), batch):
        idx = order[start:start + batch]
        loss = loss_fn(model(Xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build/release")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--xor-steps", type=int, default=100000)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    nn.set_num_threads(a.threads)
    if torch is not None:
        torch.set_num_threads(a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    bin_dir = os.path.join(a.build, "bin")
    r = {"threads": a.threads, "load": os.getloadavg()[0], "nn": nn.version()}

    r["xor_us_nn_python"] = xor_nn(a.xor_steps)
    r["xor_us_nn_cpp"] = run_json([os.path.join(bin_dir, "xor_step"), "--threads", str(a.threads)]).get("us_per_step")
    r["xor_us_torch"] = xor_torch(a.xor_steps // 10) if torch is not None else None

    X, y = nn.load_mnist(DATA, "train")
    X = np.ascontiguousarray(X.reshape(len(X), 784))
    r["mlp_epoch_s_nn_python"] = min(mlp_epoch_nn(X, y, 64) for _ in range(a.repeats))
    r["mlp_epoch_s_nn_cpp"] = min(
        run_json([os.path.join(bin_dir, "train_mlp"), "--threads", str(a.threads), "--batch", "64"])["seconds"]
        for _ in range(a.repeats))
    r["mlp_epoch_s_torch"] = min(mlp_epoch_torch(X, y, 64) for _ in range(a.repeats)) if torch is not None else None

    nn.manual_seed(1)
    model = nn.build_model("linear:128,relu,linear:32,relu,linear:10")
    t0 = time.perf_counter()
    history = nn.fit(model, nn.SoftmaxCrossEntropyLoss(), nn.Adam(model.parameters(), lr=1e-3), X, y, epochs=1,
                     batch_size=64, seed=1)
    r["fit_s_python_wall"] = time.perf_counter() - t0
    r["fit_s_python"] = history["seconds"][0]  # the epoch's time as the trainer measures it, as the CLI reports
    cli = subprocess.run([os.path.join(bin_dir, "nn"), "train", "--data", "fashion-mnist", "--val-split", "0",
                          "--model", "linear:128,relu,linear:32,relu,linear:10", "--epochs", "1", "--batch-size", "64",
                          "--optimizer", "adam", "--lr", "0.001", "--threads", str(a.threads)],
                         capture_output=True, text=True, check=True)
    took = re.search(r"training took ([0-9.]+) s", cli.stdout + cli.stderr)
    r["fit_s_cli"] = float(took.group(1)) if took else None

    def f(v, unit):
        return "-" if v is None else f"{v:.2f} {unit}"

    print(f"threads {a.threads}, load average {r['load']:.1f} (a busy machine: figures are noisy)")
    print(f"XOR step        nn from Python {f(r['xor_us_nn_python'], 'us')}   nn C++ {f(r['xor_us_nn_cpp'], 'us')}   "
          f"torch {f(r['xor_us_torch'], 'us')}")
    print(f"MLP epoch (64)  nn Python loop {f(r['mlp_epoch_s_nn_python'], 's')}   nn C++ loop "
          f"{f(r['mlp_epoch_s_nn_cpp'], 's')}   torch {f(r['mlp_epoch_s_torch'], 's')}")
    print(f"fit, 1 epoch    nn.fit {f(r['fit_s_python'], 's')} (call {f(r['fit_s_python_wall'], 's')})   "
          f"nn train (the command) {f(r['fit_s_cli'], 's')}")
    print(json.dumps(r))


if __name__ == "__main__":
    sys.exit(main())
