"""A small CNN (Conv2d 8 3x3, ReLU, MaxPool, Flatten, Linear 10) on Fashion-MNIST images, written
as the tutorial's training loop by hand: forward, loss, backward, step, zero_grad.

Usage: python cnn.py [DATA_DIR] [TRAIN_SAMPLES] (defaults: Debian's dataset, 6000 samples).
"""
import sys

import numpy as np

import nn

data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
X, y = nn.load_mnist(data, "train")  # [N, 784] on [0, 1]
X_test, y_test = nn.load_mnist(data, "test")
X, y = X[:limit].reshape(-1, 1, 28, 28), y[:limit]  # images as [N, C, H, W]
X_test = X_test.reshape(-1, 1, 28, 28)

nn.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(10))
loss_fn = nn.SoftmaxCrossEntropyLoss()
optimizer = nn.Adam(model.parameters(), lr=2e-3)
rng = np.random.default_rng(0)
losses = []
for epoch in range(2):
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), 64):
        idx = order[start:start + 64]
        total += loss_fn(model(X[idx]), y[idx]) * len(idx)
        model.backward(loss_fn.backward())
        optimizer.step()
        optimizer.zero_grad()
    losses.append(total / len(X))
    print(f"epoch {epoch}  loss {losses[-1]:.4f}")
model.eval()
accuracy = nn.evaluate(model, loss_fn, X_test[:2000], y_test[:2000])["accuracy"]
print(model)
print(f"test accuracy {accuracy:.4f} (2000 test images)")
ok = losses[-1] < losses[0] and accuracy >= 0.75
print("OK" if ok else "FAILED")
raise SystemExit(0 if ok else 1)
