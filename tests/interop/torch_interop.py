"""A model file written by `nn train --save` loads into a torch.nn.Sequential of the same structure
(strict load_state_dict, with safetensors' own reader) and gives the same outputs as `nn predict`.

Usage: PYTHON torch_interop.py PATH/TO/nn      Exits 77 (skipped) when torch is not importable.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError:
    print("torch_interop: torch and numpy are not installed in this Python; skipped")
    sys.exit(77)

NN = os.path.abspath(sys.argv[1])


def write_npy(path, array):
    array = np.ascontiguousarray(array)
    np.save(path, array)


def read_tensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:  # the format is simple enough to read by hand
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            b, e = info["data_offsets"]
            out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy()).reshape(info["shape"])
        return out


def metadata(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))["__metadata__"]


def to_torch(spec, input_shape):
    """Builds the torch.nn.Sequential that the model spec describes."""
    layers, shape = [], list(input_shape)
    pair = lambda v: tuple(v) if isinstance(v, list) else (v, v)
    for layer in spec:
        t = layer["type"]
        if t == "linear":
            m = torch.nn.Linear(shape[-1], layer["out"], bias=layer.get("bias", True))
        elif t == "conv":
            m = torch.nn.Conv2d(shape[0], layer["out"], pair(layer["kernel"]), pair(layer.get("stride", 1)),
                                pair(layer.get("padding", 0)), bias=layer.get("bias", True))
        elif t == "maxpool":
            m = torch.nn.MaxPool2d(pair(layer["kernel"]), pair(layer["stride"]), pair(layer.get("padding", 0)))
        elif t == "avgpool":
            m = torch.nn.AvgPool2d(pair(layer["kernel"]), pair(layer["stride"]), pair(layer.get("padding", 0)))
        elif t == "batchnorm":
            cls = torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d
            m = cls(layer["features"], eps=layer["eps"], momentum=layer["momentum"])
        else:
            m = {"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid(),
                 "flatten": torch.nn.Flatten(), "identity": torch.nn.Identity(), "softmax": torch.nn.Softmax(dim=1),
                 "dropout": torch.nn.Dropout(layer.get("p", 0.5)),
                 "leakyrelu": torch.nn.LeakyReLU(layer.get("alpha", 0.01))}[t]
        layers.append(m)
        with torch.no_grad():
            shape = list(torch.nn.Sequential(*layers).eval()(torch.zeros(1, *input_shape)).shape[1:])
    return torch.nn.Sequential(*layers)


def check(tmp, name, data_args, model_spec, x):
    path = os.path.join(tmp, name + ".safetensors")
    r = subprocess.run([NN, "train", *data_args, "--model", model_spec, "--epochs", "2", "--quiet", "--threads", "1",
                        "--scale", "none", "--save", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    meta = metadata(path)
    model = to_torch(json.loads(meta["model_spec"]), json.loads(meta["input_shape"]))
    result = model.load_state_dict(read_tensors(path), strict=True)
    assert not result.missing_keys and not result.unexpected_keys, result
    model.eval()
    xin = os.path.join(tmp, name + "_x.npy")
    yout = os.path.join(tmp, name + "_y.npy")
    write_npy(xin, x.astype(np.float32))
    r = subprocess.run([NN, "predict", path, "--input", xin, "--output", yout], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ours = np.load(yout)
    with torch.no_grad():
        theirs = model(torch.from_numpy(x.astype(np.float32)).reshape(len(x), *json.loads(meta["input_shape"]))).numpy()
    err = float(np.max(np.abs(ours - theirs)))
    print(f"{name}: {model_spec}: torch.nn.Sequential loaded it strictly; max |nn - torch| = {err:.2e}")
    assert err < 1e-4, err


def main():
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        check(tmp, "mlp", ["--data", "blobs:features=5,centers=3"], "linear:16,relu,linear:8,tanh,linear:3",
              rng.normal(size=(20, 5)))
        # Images as NumPy arrays [N, 1, 12, 12] with 2 classes (bright left or right half).
        n = 200
        x = rng.uniform(0, 0.2, size=(n, 1, 12, 12))
        y = rng.integers(0, 2, size=n)
        for i in range(n):
            x[i, 0, :, :6] += 0.8 * (y[i] == 0)
            x[i, 0, :, 6:] += 0.8 * (y[i] == 1)
        write_npy(os.path.join(tmp, "img_x.npy"), x.astype(np.float32))
        write_npy(os.path.join(tmp, "img_y.npy"), y.astype(np.int64))
        check(tmp, "cnn", ["--data", f"npy:{tmp}/img_x.npy,{tmp}/img_y.npy"],
              "conv:4:3:1:1,batchnorm,relu,maxpool:2,conv:6:3:2:1,relu,avgpool:3,flatten,dropout:0.2,linear:2",
              rng.uniform(0, 1, size=(10, 1, 12, 12)))


if __name__ == "__main__":
    main()
