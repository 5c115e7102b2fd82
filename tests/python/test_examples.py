"""The five tutorials' programs in examples/python/ run and show the tutorials' behaviour (each
prints OK and exits 0 only when it does: errors reach 0, the loss falls, XOR converges, accuracy
bounds)."""
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import FASHION_MNIST, SOURCE_DIR

EXAMPLES = SOURCE_DIR / "examples" / "python"


def run(script, *args, timeout=600):
    env = dict(os.environ)
    r = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=env)
    print(r.stdout, r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("OK")
    return r.stdout


def test_perceptron_and_adaline():
    out = run("perceptron_adaline.py")
    assert "errors per epoch" in out


def test_binary_classifier(tmp_path):
    out = run("binary_classifier.py", tmp_path / "report")
    assert "decision boundary" in out and (tmp_path / "report" / "report.html").exists()
    assert (tmp_path / "report" / "decision_regions.png").exists()


def test_xor_converges():
    run("xor.py")


needs_fashion = pytest.mark.skipif(not FASHION_MNIST.exists() and os.environ.get("CI") != "true",
                                   reason="Debian's dataset-fashion-mnist is not installed")


@needs_fashion
def test_fashion_mnist_mlp():
    out = run("fashion_mlp.py", FASHION_MNIST, 2, 10000)
    assert "test accuracy" in out


@needs_fashion
def test_small_cnn():
    out = run("cnn.py", FASHION_MNIST, 4000)
    assert "test accuracy" in out
