"""The custom-module tutorial: MyModel (784-128-32-10, its second layer's input size inferred)
written in Python as an nn.Module whose children are registered by name, trained on
Fashion-MNIST with Adam by nn's Trainer, then evaluated on the test set.

Usage: python fashion_mlp.py [DATA_DIR] [EPOCHS] [TRAIN_SAMPLES]
(default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist; 2 epochs; all 60000).
"""
import sys

import nn


class MyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128, init="he")
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, init="he")  # input size inferred on the first batch
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(10)

    def forward(self, x):
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(x)))))

    def backward(self, dy):
        return self.fc1.backward(self.relu1.backward(self.fc2.backward(self.relu2.backward(self.fc3.backward(dy)))))


data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
X, y = nn.load_mnist(data, "train")
X_test, y_test = nn.load_mnist(data, "test")
X, y = X[:limit], y[:limit]  # [N, 784] on [0, 1]

nn.manual_seed(0)
model = MyModel()
# A Python module inside C++ containers: the Sequential runs it through nn's own forward/backward.
net = nn.Sequential(model)
loss = nn.SoftmaxCrossEntropyLoss()
optimizer = nn.Adam(net.parameters(), lr=1e-3)
print(model)
print("parameters:", net.num_parameters(), [name for name, _ in net.named_parameters()][:2], "...")
history = nn.Trainer(net, loss, optimizer).fit(X, y, epochs=epochs, batch_size=64, seed=1)
print("train loss per epoch:", " ".join(f"{v:.4f}" for v in history["loss"]))
net.eval()
result = nn.evaluate(net, loss, X_test, y_test)
print(f"test accuracy {result['accuracy']:.4f}, loss {result['loss']:.4f}")
ok = history["loss"][-1] < history["loss"][0] and result["accuracy"] >= (0.80 if limit is None else 0.70)
print("OK" if ok else "FAILED")
raise SystemExit(0 if ok else 1)
