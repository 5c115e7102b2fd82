"""The classic neurons with scikit-learn's shape."""
import numpy as np
import pytest

import nn


def test_perceptron_errors_reach_zero_on_separable_data():
    X, y = nn.make_blobs(100, seed=1)
    ppn = nn.Perceptron(eta=0.1, n_iter=10, random_state=1)
    assert ppn.fit(X, y) is ppn
    assert len(ppn.errors_) == 10 and ppn.errors_[-1] == 0 and ppn.errors_[0] > 0
    assert (ppn.predict(X) == y).all()
    assert len(ppn.w_) == 2 and isinstance(ppn.b_, float)


def test_adaline_loss_falls_and_partial_fit_learns_online():
    X, y = nn.make_blobs(100, seed=1)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    ada = nn.AdalineGD(eta=0.01, n_iter=15).fit(X, y)
    assert all(b < a for a, b in zip(ada.losses_, ada.losses_[1:]))
    sgd = nn.AdalineSGD(eta=0.01, n_iter=5, random_state=1).fit(X, y)
    w = list(sgd.w_)
    sgd.partial_fit(X[0], y[0])
    assert list(sgd.w_) != w and len(sgd.losses_) == 5
    assert np.mean(sgd.predict(X) == y) >= 0.95


def test_classic_errors_name_the_problem():
    with pytest.raises(nn.Error, match="predict"):
        nn.Perceptron().predict(np.zeros((1, 2)))
    with pytest.raises(nn.Error):
        nn.Perceptron().fit(np.zeros((3, 2)), np.array([0, 1]))
