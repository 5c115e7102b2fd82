"""PyTorch CUDA's side of the GPU benchmark (bench/gpu.sh): the same models as bench/gpu_train
(the main MLP 784-128-32-10, the small CNN, the wide MLP 784-512-256-10) trained on synthetic data
of Fashion-MNIST's shape (60000 samples, 10 classes) held in pinned host memory, each batch copied
to the GPU with non_blocking=True, and the loss read back every step (loss.item(), as nn's Trainer
reads every batch's loss). One warm-up epoch, one timed epoch; one JSON object per mode:

  eager     plain PyTorch
  compile   torch.compile(model) (skipped, with the reason, where it cannot compile)
  graphs    the whole step (forward, loss, backward, optimizer step) captured with torch.cuda.graph
            and replayed, as PyTorch's documentation shows for whole-network capture

python torch_gpu_train.py --model mlp|cnn|wide --batch 64 [--modes eager,compile,graphs]
"""
import argparse
import json
import time

import torch


def build(name):
    if name == "cnn":
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(784, 10))
    widths = [784, 512, 256, 10] if name == "wide" else [784, 128, 32, 10]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def make_optimizer(name, params, capturable=False):
    if name == "adam":
        return torch.optim.Adam(params, lr=1e-3, capturable=capturable)
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


def run(mode, a, x, y):
    torch.manual_seed(1)
    dev = torch.device("cuda")
    model = build(a.model).to(dev)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(x) // a.batch * a.batch  # full batches (the graph needs one shape)
    if mode == "compile":
        model = torch.compile(model)
    opt = make_optimizer(a.optimizer, model.parameters(), capturable=(mode == "graphs"))

    def epoch(step):
        perm = torch.randperm(n)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        last = 0.0
        for start in range(0, n, a.batch):
            idx = perm[start:start + a.batch]
            last = step(x[idx].pin_memory(), y[idx].pin_memory())
        torch.cuda.synchronize()
        return n / (time.perf_counter() - t0), last

    if mode == "graphs":
        static_x = torch.zeros((a.batch,) + tuple(x.shape[1:]), device=dev)
        static_y = torch.zeros((a.batch,), dtype=torch.long, device=dev)
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):  # warm-up iterations on a side stream, as the documentation asks
            for _ in range(3):
                opt.zero_grad(set_to_none=True)
                loss_fn(model(static_x), static_y).backward()
                opt.step()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(g):
            static_loss = loss_fn(model(static_x), static_y)
            static_loss.backward()
            opt.step()

        def step(xb, yb):
            static_x.copy_(xb, non_blocking=True)
            static_y.copy_(yb, non_blocking=True)
            g.replay()
            return static_loss.item()
    else:
        def step(xb, yb):
            xb = xb.to(dev, non_blocking=True)
            yb = yb.to(dev, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            return loss.item()

    epoch(step)  # warm-up (and, for compile, the compilation)
    rate, last = epoch(step)
    return {"side": "pytorch", "mode": mode, "model": a.model, "batch": a.batch, "optimizer": a.optimizer,
            "samples_per_second": round(rate, 1), "final_loss": round(last, 5), "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="mlp", choices=["mlp", "cnn", "wide"])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    p.add_argument("--samples", type=int, default=60000)
    p.add_argument("--modes", default="eager,compile,graphs")
    a = p.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"side": "pytorch", "model": a.model, "error": "torch.cuda.is_available() is False"}))
        return
    g = torch.Generator().manual_seed(3)
    shape = (a.samples, 1, 28, 28) if a.model == "cnn" else (a.samples, 784)
    x = torch.rand(shape, generator=g)
    y = torch.randint(0, 10, (a.samples,), generator=g)
    for mode in a.modes.split(","):
        try:
            print(json.dumps(run(mode, a, x, y)), flush=True)
        except Exception as e:  # torch.compile without a working compiler, capture refused, ...
            print(json.dumps({"side": "pytorch", "mode": mode, "model": a.model, "batch": a.batch,
                              "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}), flush=True)


if __name__ == "__main__":
    main()
