"""PyTorch's side of bench/xor_step.cpp: microseconds per training step of the XOR network
(Linear(2, 3), Tanh, Linear(3, 1), Tanh), MSE loss, plain SGD (lr 0.1), one sample per step. A step
is forward, the loss value added to the error (loss.item(), as the XOR example's loop sums the error),
backward, optimizer.step(), optimizer.zero_grad() (each release's default). The four samples are
preloaded tensors, cycled; the first --warmup steps are not timed. Prints one JSON object.

python torch_xor_step.py --steps 100000 --warmup 10000 --threads 1
(OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS are set by the caller.)
"""
import argparse
import json
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=100000)
    p.add_argument("--warmup", type=int, default=10000)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1), torch.nn.Tanh())
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    xs = [torch.tensor([[a0, a1]], dtype=torch.float32) for a0, a1 in ((0, 0), (0, 1), (1, 0), (1, 1))]
    ys = [torch.tensor([[t]], dtype=torch.float32) for t in (0, 1, 1, 0)]

    def run(steps):
        error = 0.0
        for s in range(steps):
            i = s & 3
            loss = loss_fn(model(xs[i]), ys[i])
            error += loss.item()
            loss.backward()
            opt.step()
            opt.zero_grad()
        return error

    run(a.warmup)
    t0 = time.perf_counter()
    error = run(a.steps)
    seconds = time.perf_counter() - t0
    print(json.dumps({"impl": "torch " + torch.__version__, "threads": a.threads, "steps": a.steps,
                      "seconds": round(seconds, 4), "us_per_step": round(seconds * 1e6 / a.steps, 4),
                      "mean_error": error / a.steps}))


if __name__ == "__main__":
    main()
