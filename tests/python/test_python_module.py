"""Modules written in Python: forward and backward in Python, children and parameters registered,
mixed with C++ layers in a Sequential, trained by nn's optimizers, checked by gradcheck."""
import numpy as np
import pytest

import nn


class Scale(nn.Module):
    """y = x * w (w: one weight per feature), the tutorials' way: forward keeps x for backward."""

    def __init__(self, features):
        super().__init__()
        self.w = self.register_parameter("w", np.linspace(0.5, 1.5, features, dtype=np.float32))

    def forward(self, x):
        self.x = np.asarray(x).copy()
        return nn.tensor(self.x * np.asarray(self.w))

    def backward(self, dy):
        dy = np.asarray(dy)
        np.asarray(self.w.grad)[:] += (dy * self.x).sum(axis=0)
        return nn.tensor(np.ascontiguousarray(dy * np.asarray(self.w)))


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))

    def backward(self, dy):
        return self.fc1.backward(self.act.backward(self.fc2.backward(dy)))


def test_python_module_registers_children_and_parameters():
    m = TwoLayer()
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert m.type_name() == "TwoLayer"
    assert [n for n, _ in Scale(3).named_parameters()] == ["w"]


def test_python_module_passes_gradcheck():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    for module in [Scale(3), TwoLayer(), nn.Sequential(Scale(3), nn.Linear(3, 2), TwoLayerHead())]:
        result = nn.gradcheck(module, x)
        assert result["ok"], result["message"]


class TwoLayerHead(nn.Module):
    """A Python module after a C++ layer, inside a Sequential."""

    def __init__(self):
        super().__init__()
        self.act = nn.Sigmoid()

    def forward(self, x):
        return self.act(x)

    def backward(self, dy):
        return self.act.backward(dy)


def test_gradients_accumulate_into_the_same_parameters_and_optimizers_train_them():
    nn.manual_seed(3)
    model = nn.Sequential(Scale(2), nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    scale_w = model[0].w
    assert model.parameters()[0].data.data_ptr() == scale_w.data.data_ptr()
    X, y = nn.make_xor()
    target = y.astype(np.float32).reshape(-1, 1)
    loss_fn = nn.BCELoss()
    opt = nn.Adam(model.parameters(), lr=0.05)
    before = np.asarray(scale_w).copy()
    first = None
    for _ in range(400):
        loss = loss_fn(model(X), target)
        first = loss if first is None else first
        model.backward(loss_fn.backward())
        opt.step()
        opt.zero_grad()
    assert not np.allclose(before, np.asarray(scale_w))  # the Python module's weight was trained
    assert loss < first / 5
    assert nn.accuracy(nn.predict_classes(model(X)), y) == 1.0


def test_errors_in_python_forward_propagate():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("broken forward")

        def backward(self, dy):
            return dy

    with pytest.raises(ValueError, match="broken forward"):
        nn.Sequential(nn.Linear(2, 2), Broken())(np.ones((1, 2), np.float32))
    with pytest.raises(TypeError, match="Broken2.forward: expected an nn.Tensor"):
        nn.Sequential(Broken2())(np.ones((1, 2), np.float32))


class Broken2(nn.Module):
    def forward(self, x):
        return "not a tensor"

    def backward(self, dy):
        return dy
