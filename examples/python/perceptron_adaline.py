"""The perceptron and Adaline of the single-neuron tutorial, scikit-learn style, on two blobs.

The perceptron's errors per epoch reach 0 on separable data; Adaline's loss falls every epoch
(full batch on standardised features); AdalineSGD learns online with partial_fit.
"""
import numpy as np

import nn

X, y = nn.make_blobs(n_samples=100, centers=2, cluster_std=1.0, seed=1)
X = (X - X.mean(axis=0)) / X.std(axis=0)  # standardised, as the tutorial does for Adaline

ppn = nn.Perceptron(eta=0.1, n_iter=10, random_state=1).fit(X, y)
print("perceptron errors per epoch:", list(ppn.errors_))

ada = nn.AdalineGD(eta=0.01, n_iter=20, random_state=1).fit(X, y)
print("adaline losses: %.4f -> %.4f" % (ada.losses_[0], ada.losses_[-1]))

sgd = nn.AdalineSGD(eta=0.01, n_iter=15, random_state=1).fit(X, y)
sgd.partial_fit(X[0], y[0])  # one more sample, online
accuracy = float(np.mean(sgd.predict(X) == y))
print("adaline SGD losses: %.4f -> %.4f, accuracy %.2f" % (sgd.losses_[0], sgd.losses_[-1], accuracy))

ok = ppn.errors_[-1] == 0 and ada.losses_[-1] < ada.losses_[0] and accuracy >= 0.95
print("OK" if ok else "FAILED")
raise SystemExit(0 if ok else 1)
