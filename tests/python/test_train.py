"""Trainer.fit on NumPy arrays, History, evaluation, metrics, the report, and Ctrl-C."""
import os
import signal
import threading

import numpy as np
import pytest

import nn


def test_fit_on_numpy_arrays_returns_a_history():
    X, y = nn.make_moons(600, noise=0.1, seed=1)
    Xv, yv = nn.make_moons(200, noise=0.1, seed=2)
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = nn.Adam(model.parameters(), lr=0.01)
    seen = []
    history = nn.Trainer(model, nn.SoftmaxCrossEntropyLoss(), opt).fit(
        X, y, epochs=30, batch_size=32, validation_data=(Xv, yv), seed=1,
        on_epoch=lambda epoch, record: seen.append(epoch))
    assert len(history) == 30 and seen == list(range(30))
    assert history["loss"][-1] < history["loss"][0] / 3
    assert history["val_accuracy"][-1] >= 0.95
    assert set(["loss", "val_loss", "accuracy", "lr"]) <= set(history.history)
    model.eval()
    result = nn.evaluate(model, nn.SoftmaxCrossEntropyLoss(), Xv, yv)
    assert result["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert len(result["predictions"]) == 200
    cm = nn.confusion_matrix(result["predictions"], yv)
    assert cm.shape == (2, 2) and cm.sum() == 200


def test_fit_regression_with_float_targets_and_a_scheduler():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 3))  # float64: converted (a documented copy)
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    nn.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = nn.SGD(model.parameters(), lr=0.1)
    history = nn.fit(model, nn.MSELoss(), opt, X, y, epochs=20, batch_size=32, scheduler=nn.StepLR(opt, 10, 0.5))
    assert history["loss"][-1] < 1e-3
    assert history["lr"][0] == pytest.approx(0.1) and history["lr"][-1] == pytest.approx(0.05)
    pred = np.asarray(nn.predict(model, X.astype(np.float32)))
    assert nn.r2_score(pred, y.astype(np.float32).reshape(-1, 1)) > 0.999


def test_ctrl_c_interrupts_fit():
    X = np.random.default_rng(0).normal(size=(20000, 64)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 2))
    opt = nn.SGD(model.parameters(), lr=0.01)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, nn.SoftmaxCrossEntropyLoss(), opt, X, y, epochs=1000, batch_size=32)
    timer.cancel()
    assert opt.step_count > 0


def test_errors_in_on_epoch_stop_the_fit():
    X, y = nn.make_xor(4)

    def fail(epoch, record):
        raise RuntimeError("stop here")

    model = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="stop here"):
        nn.fit(model, nn.SoftmaxCrossEntropyLoss(), nn.SGD(model.parameters()), X, y, epochs=3, on_epoch=fail)


def test_report_is_written(tmp_path):
    X, y = nn.make_blobs(200, seed=4)
    model = nn.Sequential(nn.Linear(2, 2))
    opt = nn.SGD(model.parameters(), lr=0.1)
    history = nn.fit(model, nn.SoftmaxCrossEntropyLoss(), opt, X, y, epochs=3)
    predicted = nn.evaluate(model, nn.SoftmaxCrossEntropyLoss(), X, y)["predictions"]
    written = nn.write_report(str(tmp_path), history, title="blobs", predicted=predicted, truth=y,
                              class_names=["a", "b"])
    assert written[-1].endswith("report.html")
    assert "blobs" in (tmp_path / "report.html").read_text()


def test_data_generators_and_readers(tmp_path):
    X, y = nn.make_xor()
    assert X.dtype == np.float32 and X.shape == (4, 2) and y.tolist() == [0, 1, 1, 0]
    for make in (nn.make_moons, nn.make_circles, nn.make_spiral, nn.make_classification):
        X, y = make()
        assert len(X) == len(y) > 0
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,label\n1,2,0\n3,4,1\n")
    X, y = nn.read_csv(str(csv))
    assert X.tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]
    np.save(tmp_path / "a.npy", np.arange(6, dtype=np.float64).reshape(2, 3))
    assert nn.read_npy(str(tmp_path / "a.npy")).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_the_gil_is_released_while_fit_computes():
    X = np.random.default_rng(0).normal(size=(20000, 256)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int32)
    model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))
    opt = nn.SGD(model.parameters(), lr=0.01)
    worker = threading.Thread(target=nn.fit, args=(model, nn.SoftmaxCrossEntropyLoss(), opt, X, y),
                              kwargs={"epochs": 2, "batch_size": 256})
    counter = 0
    worker.start()
    while worker.is_alive():
        counter += 1  # Python runs here only while fit does not hold the GIL
    worker.join()
    assert opt.step_count == 2 * 79
    assert counter > 10000
