"""Models saved from Python load in the nn command (nn info, nn eval), and the command's models load in Python."""
import json
import subprocess

import numpy as np
import pytest

import nn


def test_python_model_loads_in_the_cli_and_back(nn_cli, tmp_path):
    X, y = nn.make_moons(400, noise=0.1, seed=3)
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    nn.fit(model, nn.SoftmaxCrossEntropyLoss(), nn.Adam(model.parameters(), lr=0.01), X, y, epochs=30, batch_size=32)
    model.eval()
    path = tmp_path / "moons.safetensors"
    nn.save(model, str(path))
    info = subprocess.run([nn_cli, "info", str(path)], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert "Linear(in_features=2, out_features=16, bias=True)" in info.stdout
    ev = subprocess.run([nn_cli, "eval", str(path), "--data", "moons:n=400,noise=0.1,seed=3", "--json"],
                        capture_output=True, text=True)
    assert ev.returncode == 0, ev.stderr
    cli = json.loads(ev.stdout)
    ours = nn.evaluate(model, nn.SoftmaxCrossEntropyLoss(), X, y)
    assert cli["samples"] == 400
    assert cli["accuracy"] == pytest.approx(ours["accuracy"])
    assert cli["loss"] == pytest.approx(ours["loss"], rel=1e-5)
    back = nn.load(str(path))
    np.testing.assert_array_equal(np.asarray(back(X)), np.asarray(model(X)))


def test_cli_model_loads_in_python(nn_cli, tmp_path):
    path = tmp_path / "xor.safetensors"
    r = subprocess.run([nn_cli, "train", "--data", "xor", "--model", "linear:8,tanh,linear:2", "--epochs", "5",
                        "--save", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    model, scaler = nn.load_with_scaler(str(path))
    assert nn.spec_of(model).startswith("linear:8")
    X, y = nn.make_xor()
    X = np.asarray(scaler.transform(X))  # the command scales its inputs and saves the scaler
    ev = json.loads(subprocess.run([nn_cli, "eval", str(path), "--data", "xor", "--json"], capture_output=True,
                                   text=True, check=True).stdout)
    assert nn.evaluate(model, nn.SoftmaxCrossEntropyLoss(), X, y)["loss"] == pytest.approx(ev["loss"], rel=1e-5)
