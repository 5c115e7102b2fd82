"""PyTorch's side of the CNN comparison, data preloaded as float32 in [0, 1]:
  --model small   the small CNN (conv 1->8 3x3 pad 1, relu, maxpool 2, conv 8->16 3x3 pad 1, relu,
                  maxpool 2, flatten, linear 784->10), by default with Adam (lr 0.002, batch 64);
  --model strong  the README's stronger CNN (conv 1->32 3x3 pad 1, batch norm, relu, maxpool 2,
                  conv 32->64 3x3 pad 1, batch norm, relu, maxpool 2, flatten, dropout 0.3,
                  linear 3136->128, relu, dropout 0.3, linear 128->10), as nn's spec
                  conv:32:3:1:1,batchnorm,relu,maxpool:2,conv:64:3:1:1,batchnorm,relu,maxpool:2,
                  flatten,dropout:0.3,linear:128,relu,dropout:0.3,linear:10.
--optimizer sgd is SGD with momentum 0.9 (bench/train_mlp's). Prints one JSON object: training
samples/s (the loop alone) and, unless --skip-test, test accuracy.

python torch_train_cnn.py --epochs 3 --threads 2 [--model small|strong] [--optimizer adam|sgd]
                          [--lr 0.002] [--max-batches N] [--skip-test]
"""
import argparse
import json
import time

import numpy as np
import torch

from fashion_mnist import read_idx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--model", choices=["small", "strong"], default="small")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-batches", type=int, default=0, help="stop each epoch after this many batches (timing runs)")
    p.add_argument("--skip-test", action="store_true", help="no test accuracy (timing runs)")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = a.data_dir
    x = torch.from_numpy(read_idx(f"{d}/train-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
    y = torch.from_numpy(read_idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(read_idx(f"{d}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
    yt = torch.from_numpy(read_idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    nn = torch.nn
    if a.model == "small":
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(784, 10))
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
    if a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    seconds, samples = 0.0, 0
    for _ in range(a.epochs):
        perm = torch.randperm(len(x))
        t0 = time.perf_counter()
        for b, start in enumerate(range(0, len(x), a.batch)):
            if a.max_batches and b >= a.max_batches:
                break
            idx = perm[start : start + a.batch]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            samples += len(idx)
        seconds += time.perf_counter() - t0
    result = {"impl": "torch " + torch.__version__, "model": a.model, "optimizer": a.optimizer, "threads": a.threads, "epochs": a.epochs,
              "samples_per_second": round(samples / seconds, 1)}
    if not a.skip_test:
        model.eval()
        with torch.no_grad():
            result["test_accuracy"] = round((model(xt).argmax(1) == yt).float().mean().item(), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
