"""The binary classifier tutorial: one Linear layer and a Sigmoid trained with BCELoss by hand
(forward, loss, backward, step), then its decision boundary w.x + b = 0; given a folder, an HTML
report with the decision regions.

Usage: python binary_classifier.py [REPORT_DIR]
"""
import sys

import numpy as np

import nn

nn.manual_seed(0)
X, y = nn.make_blobs(n_samples=200, centers=2, cluster_std=1.5, seed=3)
X = (X - X.mean(axis=0)) / X.std(axis=0)
x, target = nn.tensor(X), nn.tensor(y.astype(np.float32).reshape(-1, 1))  # X is used in place

model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
loss_fn = nn.BCELoss()
optimizer = nn.SGD(model.parameters(), lr=0.5)
for epoch in range(100):
    loss = loss_fn(model(x), target)
    model.backward(loss_fn.backward())
    optimizer.step()
    optimizer.zero_grad()
    if epoch % 20 == 0:
        print(f"epoch {epoch:3d}  loss {loss:.4f}")

(w1, w2), b = np.asarray(model[0].weight)[0], np.asarray(model[0].bias)[0]
print(f"decision boundary: {w1:.3f} x1 + {w2:.3f} x2 + {b:.3f} = 0")
accuracy = nn.accuracy(nn.predict_classes(model(x)), y)
print(f"loss {loss:.4f}, accuracy {accuracy:.3f}")
if len(sys.argv) > 1:  # a folder: the report with the decision regions
    history = nn.fit(model, loss_fn, optimizer, X, y.astype(np.float32), epochs=1, batch_size=200)
    paths = nn.write_report(sys.argv[1], history, title="binary classifier", model=model.eval(), X=X, y=y)
    print("report:", paths[-1])
ok = accuracy >= 0.95 and loss < 0.2
print("OK" if ok else "FAILED")
raise SystemExit(0 if ok else 1)
