#!/usr/bin/env python3
"""The layer case table (tests/layer_cases_test.cpp) against PyTorch.

Runs `nn_tests --gtest_filter=LayerCases.DumpForTorch`, which writes, per row of the table, the
input, the parameters and buffers, the upstream gradient and nn's output, dx and parameter
gradients as .npy files with an index.json; then builds each row's PyTorch module from its
expression, loads the same parameters, runs forward and backward, and compares repr() exactly and
every tensor within atol = rtol = 1e-5. Exits 77 (a skip for CTest) when torch cannot be imported.

usage: layer_cases.py path/to/nn_tests
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"layer_cases: skipped, {e}")
    sys.exit(77)

ATOL = RTOL = 1e-5


def load(folder, name):
    return torch.from_numpy(np.load(os.path.join(folder, name)).astype(np.float32))


def compare(what, ours, theirs, failures):
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    if a.shape != b.shape:
        failures.append(f"{what}: nn has shape {list(a.shape)}, PyTorch {list(b.shape)}")
    elif not np.allclose(a, b, atol=ATOL, rtol=RTOL):
        err = float(np.max(np.abs(a - b)))
        failures.append(f"{what}: largest difference {err:.3g} (atol = rtol = {ATOL:g})")


def check_case(root, case):
    folder = os.path.join(root, case["id"])
    failures = []
    module = eval(case["torch"], {"torch": torch})
    if str(module) != case["repr"]:
        failures.append(f"repr: nn {case['repr']!r}, PyTorch {str(module)!r}")
    state = dict(module.named_parameters())
    state.update(dict(module.named_buffers()))
    with torch.no_grad():
        for kind, names in (("param", case["params"]), ("buffer", case["buffers"])):
            for name in names:
                if name not in state:
                    failures.append(f"{kind} {name}: PyTorch's module has no such tensor")
                    continue
                value = load(folder, f"{kind}.{name}.npy")
                target = state[name]
                if tuple(target.shape) != tuple(value.shape) and value.numel() == target.numel():
                    value = value.reshape(target.shape)  # a scalar buffer written as [1] or []
                target.copy_(value.to(target.dtype))
    missing = set(dict(module.named_parameters())) - set(case["params"])
    if missing:
        failures.append(f"parameters nn does not have: {sorted(missing)}")
    module.train(case["train"])
    x = load(folder, "x.npy").requires_grad_(True)
    y = module(x)
    compare("forward", load(folder, "y.npy"), y, failures)
    y.backward(load(folder, "dy.npy"))
    compare("dx", load(folder, "dx.npy"), x.grad, failures)
    for name, p in module.named_parameters():
        if name in case["params"]:
            compare(f"grad {name}", load(folder, f"grad.{name}.npy"), p.grad, failures)
    return failures


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="nn-layer-cases-") as root:
        env = dict(os.environ, NN_LAYER_CASES_DIR=root)
        run = subprocess.run([sys.argv[1], "--gtest_filter=LayerCases.DumpForTorch"], env=env,
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout + run.stderr)
            print("layer_cases: the dump failed")
            return 1
        with open(os.path.join(root, "index.json")) as f:
            cases = json.load(f)
        bad = 0
        for case in cases:
            failures = check_case(root, case)
            status = "ok" if not failures else "FAILED"
            print(f"{case['id']:>16}  {case['torch']:<50} {status}")
            for line in failures:
                print(f"{'':>18}{line}")
            bad += bool(failures)
        print(f"layer_cases: {len(cases) - bad} of {len(cases)} rows agree with PyTorch {torch.__version__}")
        return 1 if bad or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
