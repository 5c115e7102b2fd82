"""XOR: 2-3-1 with Tanh, MSE and SGD, one sample at a time, as in the tutorial; it converges."""
import numpy as np

import nn

nn.manual_seed(42)
model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Tanh())
loss_fn = nn.MSELoss()
optimizer = nn.SGD(model.parameters(), lr=0.1)
X = [nn.tensor([[0, 0]]), nn.tensor([[0, 1]]), nn.tensor([[1, 0]]), nn.tensor([[1, 1]])]
Y = [nn.tensor([[0]]), nn.tensor([[1]]), nn.tensor([[1]]), nn.tensor([[0]])]
print(model)
for epoch in range(1000):
    total = 0.0
    for x, y in zip(X, Y):
        total += loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        optimizer.step()
        optimizer.zero_grad()
    if epoch % 200 == 0:
        print(f"epoch {epoch:4d}  loss {total / 4:.5f}")
outputs = [float(np.asarray(model(x))[0, 0]) for x in X]
print("outputs:", " ".join(f"{o:.3f}" for o in outputs))
ok = all(abs(o - float(np.asarray(y)[0, 0])) < 0.2 for o, y in zip(outputs, Y))
print("OK" if ok else "FAILED")
raise SystemExit(0 if ok else 1)
