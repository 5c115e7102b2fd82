"""nn from Python: the tutorials' programs on nn's C++ core.

Tensors are float32 and convert to and from NumPy without copies (``np.asarray(t)``,
``nn.tensor(a)``). Layers, losses, optimizers, schedulers, ``Sequential``, the ``Trainer``, the
classic neurons, data generators and readers, metrics, model files and the HTML report are nn's
C++ classes; compute runs with the GIL released. Subclass ``nn.Module`` to write a layer in
Python with its own ``forward`` and ``backward``.
"""
from __future__ import annotations

import numpy as _np

from . import _nn
from ._nn import (  # noqa: F401
    AdalineGD, AdalineSGD, Adam, AdamW, AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss, BCEWithLogitsLoss,
    Conv2d, CosineAnnealingLR, CrossEntropyLoss, Dropout, Error, ExponentialLR, Flatten, GELU, History,
    Identity, LayerNorm, LeakyReLU, Linear, LinearNeuron, Loss, MaxPool2d, Module, MSELoss, MultiStepLR,
    Optimizer, Parameter, Perceptron, ReLU, Scheduler, Sequential, SGD, Sigmoid, Softmax,
    SoftmaxCrossEntropyLoss, StepLR, Tanh, Tensor, accuracy, build_model, confusion_matrix, evaluate,
    fashion_mnist_class_names, gradcheck, layer_types, load, load_idx, load_mnist, make_blobs,
    load_with_scaler, make_circles, make_classification, make_moons, make_spiral, make_xor, manual_seed, mean_squared_error,
    num_threads, predict, predict_classes, r2_score, read_csv, read_npy, save, Scaler, set_num_threads, spec_of,
    version, write_report,
)

__all__ = [name for name in dir(_nn) if not name.startswith("_")] + ["tensor", "Trainer", "fit"]


def tensor(data, copy: bool = False) -> Tensor:
    """An nn.Tensor of ``data``.

    A C-contiguous, writable float32 NumPy array is used in place (no copy: the tensor and the
    array share memory, and the tensor keeps the array alive); an nn.Tensor is returned as it is.
    Anything else (another dtype, a non-contiguous view, a list) raises TypeError unless
    ``copy=True``, which converts it into a float32 tensor of its own. Lists and scalars are
    always converted.
    """
    if isinstance(data, (list, tuple, int, float)):
        data, copy = _np.array(data, dtype=_np.float32), False
    return _nn._tensor(data, copy)


class Trainer:
    """Trains a model on NumPy arrays: ``Trainer(model, loss, optimizer).fit(X, y, epochs=10)``.

    ``y`` holds class indices (an integer array) or regression targets (floats). Mini-batches are
    shuffled from ``seed``; validation runs in evaluation mode after each epoch. The GIL is
    released while it trains; Ctrl-C raises KeyboardInterrupt within a batch and 20 ms (the model
    keeps the weights of the last step). Returns an ``nn.History``.
    """

    def __init__(self, model: Module, loss: Loss, optimizer: Optimizer, scheduler: Scheduler | None = None):
        self.model, self.loss, self.optimizer, self.scheduler = model, loss, optimizer, scheduler
        self.history: History | None = None

    def fit(self, X, y, epochs: int = 10, batch_size: int = 64, validation_data=None, seed: int = 0,
            shuffle: bool = True, verbose: bool = False, on_epoch=None, clip_grad_norm: float = 0.0) -> History:
        """Runs ``epochs`` epochs; ``validation_data=(X_val, y_val)``; ``on_epoch(epoch, record)`` is
        called after every epoch with that epoch's figures (a dict)."""
        xv, yv = validation_data if validation_data is not None else (None, None)
        self.history = _nn._fit(self.model, self.loss, self.optimizer, X, y, xv, yv, epochs, batch_size, seed,
                                shuffle, self.scheduler, verbose, on_epoch, clip_grad_norm)
        return self.history


def fit(model: Module, loss: Loss, optimizer: Optimizer, X, y, **options) -> History:
    """``Trainer(model, loss, optimizer).fit(X, y, **options)``."""
    scheduler = options.pop("scheduler", None)
    return Trainer(model, loss, optimizer, scheduler).fit(X, y, **options)
