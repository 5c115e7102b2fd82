"""Every registry layer from Python with its options as keyword arguments; parameters, state
dicts, files and gradcheck."""
import numpy as np
import pytest

import nn


def test_every_registry_layer_has_a_class():
    classes = {
        "linear": lambda: nn.Linear(4, 3, init="xavier", bias=True, weight_decay=0.0),
        "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity, "softmax": nn.Softmax,
        "leakyrelu": lambda: nn.LeakyReLU(alpha=0.2),
        "gelu": lambda: nn.GELU(approximate="tanh"),
        "dropout": lambda: nn.Dropout(0.25),
        "flatten": nn.Flatten,
        "conv": lambda: nn.Conv2d(1, 2, 3, padding=1, init="he"),
        "maxpool": lambda: nn.MaxPool2d(2),
        "avgpool": lambda: nn.AvgPool2d(2, stride=1),
        "batchnorm": lambda: nn.BatchNorm1d(4, eps=1e-3, momentum=0.2),
        "layernorm": lambda: nn.LayerNorm(4, eps=1e-4),
    }
    assert set(nn.layer_types()) == set(classes)
    for name, make in classes.items():
        layer = make()
        assert layer.spec_name() == name, layer


def test_options_reach_the_layer():
    lin = nn.Linear(2, 3, init="xavier", bias=False)
    assert (lin.in_features, lin.out_features, lin.bias) == (2, 3, None)
    assert "bias=False" in repr(lin)
    assert nn.LeakyReLU(negative_slope=0.3).settings() == {"alpha": pytest.approx(0.3)}
    conv = nn.Conv2d(3, 8, 5, stride=2, padding=1)
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(5, 5), stride=(2, 2), padding=(1, 1))"
    assert nn.BatchNorm2d(4).type_name() == "BatchNorm2d"


def test_unknown_or_missing_options_are_type_errors():
    with pytest.raises(TypeError, match="unexpected argument 'color'.*accepted: in, out, init"):
        nn.Linear(2, 3, color="red")
    with pytest.raises(TypeError, match="missing argument 'out'"):
        nn.Linear()
    with pytest.raises(nn.Error, match="init"):
        nn.Linear(2, 3, init="nonsense")
    deep = []
    for _ in range(100000):
        deep = [deep]
    with pytest.raises(nn.Error, match="nested deeper than 16"):
        nn.MaxPool2d(deep)
    with pytest.raises(nn.Error, match="kernel"):
        nn.MaxPool2d([1, 2, 3])


def test_deferred_linear_takes_its_input_size_from_the_first_batch():
    model = nn.Sequential(nn.Linear(32), nn.ReLU(), nn.Linear(2))
    optimizer = nn.SGD(model.parameters(), lr=0.1)  # built before the sizes are known
    assert model[0].in_features == 0
    out = model(np.ones((5, 7), dtype=np.float32))
    assert out.shape == (5, 2) and model[0].in_features == 7
    model.backward(np.ones((5, 2), dtype=np.float32))
    optimizer.step()
    assert [p.data.shape for p in model.parameters()] == [(32, 7), (32,), (2, 32), (2,)]


def test_parameters_named_parameters_and_zero_grad():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    w = model.parameters()[0]
    assert np.asarray(w).shape == (3, 2)
    model(np.ones((4, 2), dtype=np.float32))
    model.backward(np.ones((4, 1), dtype=np.float32))
    assert np.abs(np.asarray(w.grad)).sum() > 0
    model.zero_grad()
    assert np.abs(np.asarray(w.grad)).sum() == 0
    # parameters are views: changing the array changes the model
    np.asarray(w.data)[:] = 0.0
    assert np.asarray(model[0].weight).sum() == 0.0


def test_state_dict_round_trip_and_files(tmp_path):
    nn.manual_seed(1)
    a = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    nn.manual_seed(2)
    b = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    assert not np.allclose(np.asarray(a(x)), np.asarray(b(x)))
    report = b.load_state_dict(a.state_dict())
    assert report == {"missing": [], "unexpected": [], "mismatched": []}
    np.testing.assert_array_equal(np.asarray(a(x)), np.asarray(b(x)))
    path = str(tmp_path / "model.safetensors")
    nn.save(a, path)
    c = nn.load(path)
    np.testing.assert_array_equal(np.asarray(a(x)), np.asarray(c(x)))
    assert nn.spec_of(c) == "linear:4:xavier,relu,linear:2:xavier" or nn.spec_of(c).startswith("linear:4")
    with pytest.raises(nn.Error, match="0.weight"):
        nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)).load_state_dict(a.state_dict())


def test_gradcheck_of_layers():
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    for layer in [nn.Linear(4, 3), nn.Tanh(), nn.Sigmoid(), nn.LayerNorm(4), nn.GELU()]:
        result = nn.gradcheck(layer, x)
        assert result["ok"], (layer, result["message"])
        assert result["checked"] > 0
    images = np.random.default_rng(2).normal(size=(2, 1, 6, 6)).astype(np.float32)
    assert nn.gradcheck(nn.Conv2d(1, 2, 3, padding=1), images)["ok"]


def test_losses_take_class_indices_or_one_hot():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], dtype=np.float32)
    loss = nn.SoftmaxCrossEntropyLoss()
    by_index = loss(logits, np.array([0, 2]))
    grad_index = np.asarray(loss.backward()).copy()
    one_hot = np.eye(3, dtype=np.float32)[[0, 2]]
    by_one_hot = loss(logits, one_hot)
    assert by_index == pytest.approx(by_one_hot, rel=1e-6)
    np.testing.assert_allclose(grad_index, np.asarray(loss.backward()), rtol=1e-6)
    assert nn.MSELoss()(np.zeros((2, 1), np.float32), np.ones((2, 1), np.float32)) == pytest.approx(1.0)


def test_schedulers_and_adamw():
    model = nn.Linear(2, 1)
    opt = nn.AdamW(model.parameters(), lr=0.1, weight_decay=0.01)
    sched = nn.StepLR(opt, step_size=2, gamma=0.5)
    rates = []
    for _ in range(5):
        rates.append(opt.lr)
        sched.step()
    assert rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert nn.CosineAnnealingLR(nn.SGD(model.parameters(), lr=1.0), t_max=10).lr_at(10) == pytest.approx(0.0, abs=1e-6)
    assert opt.type_name() == "AdamW"
