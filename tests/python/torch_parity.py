"""Parity with PyTorch: from identical initial weights, ten SGD (momentum) steps and ten Adam steps
of the 784-128-32-10 MLP in nn and in torch give the same weights within 1e-5.

Run by test_torch_parity.py with the Python that has torch (Debian's /usr/bin/python3 with
python3-torch) and PYTHONPATH pointing at the built package. Exit 77 without torch.
"""
import sys

import numpy as np

try:
    import torch
except ImportError as e:
    print(f"torch is not importable by {sys.executable}: {e}")
    sys.exit(77)

import nn

TOL = 1e-5


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 32), torch.nn.ReLU(),
                               torch.nn.Linear(32, 10))


def run(make_opts):
    torch.manual_seed(0)
    tm = torch_mlp()
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU(), nn.Linear(32, 10))
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
    topt, opt = make_opts(tm, model)
    rng = np.random.default_rng(1)
    tloss, loss = torch.nn.CrossEntropyLoss(), nn.SoftmaxCrossEntropyLoss()
    for step in range(10):
        x = rng.random((64, 784), dtype=np.float32)
        y = rng.integers(0, 10, 64)
        topt.zero_grad()
        lt = tloss(tm(torch.from_numpy(x)), torch.from_numpy(y))
        lt.backward()
        topt.step()
        ln = loss(model(x), y)
        model.backward(loss.backward())
        opt.step()
        opt.zero_grad()
        assert abs(ln - lt.item()) <= TOL * max(1.0, abs(lt.item())), (step, ln, lt.item())
    worst = 0.0
    ours = model.state_dict()
    for name, t in tm.state_dict().items():
        diff = float(np.abs(np.asarray(ours[name]) - t.detach().numpy()).max())
        worst = max(worst, diff)
        assert diff <= TOL, f"{name}: max |nn - torch| = {diff:g} > {TOL:g}"
    return worst


def main():
    torch.set_num_threads(1)
    sgd = run(lambda tm, m: (torch.optim.SGD(tm.parameters(), lr=0.05, momentum=0.9),
                             nn.SGD(m.parameters(), lr=0.05, momentum=0.9)))
    adam = run(lambda tm, m: (torch.optim.Adam(tm.parameters(), lr=1e-3), nn.Adam(m.parameters(), lr=1e-3)))
    print(f"torch {torch.__version__}: after 10 steps max |nn - torch| = {sgd:.2e} (SGD momentum), {adam:.2e} (Adam)")
    print("OK")


if __name__ == "__main__":
    main()
