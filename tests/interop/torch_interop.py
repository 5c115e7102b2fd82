"""nn and PyTorch read each other's model files, and compute the same outputs (atol = rtol = 1e-5).

(a) nn -> PyTorch: a model written by `nn train --save` loads into the torch.nn.Sequential its model
    spec describes (safetensors.torch.load_file, strict load_state_dict) and gives the outputs of
    `nn predict --output`: an MLP, and a CNN with convolutions, batch norm, pooling and dropout.
(b) PyTorch -> nn: the state dict of a torch model (safetensors.torch.save_file, no nn metadata)
    loads with `nn predict FILE --model SPEC [--input-shape S]` and `nn eval FILE --model SPEC`,
    which give torch's outputs, loss and accuracy. A state dict with a key the spec's model lacks is
    refused, naming the key.

Usage: PYTHON torch_interop.py [--venv DIR] PATH/TO/nn
  --venv DIR: run in that venv, made when missing (see interop_venv.py). Without torch: exit 77
  (skipped), or 1 when CI=true.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_venv  # noqa: E402

TOL = 1e-5  # atol and rtol
NN = None
np = torch = st = None


def run_nn(*args, ok=True):
    r = subprocess.run([NN, *args], capture_output=True, text=True)
    if ok:
        assert r.returncode == 0, f"nn {' '.join(args)}: exit {r.returncode}: {r.stderr}"
    return r


def expect_close(what, ours, theirs):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} (nn) vs {theirs.shape} (torch)"
    err = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    print(f"  {what}: max |nn - torch| = {err:.2e}")
    assert np.allclose(ours, theirs, atol=TOL, rtol=TOL), f"{what}: nn and torch differ by {err:.2e} (> {TOL} + {TOL}|torch|)"


def metadata(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))["__metadata__"]


def to_torch(spec, input_shape):
    """Builds the torch.nn.Sequential that an nn model spec (JSON, as stored in model files) describes."""
    layers = []
    pair = lambda v: tuple(v) if isinstance(v, list) else (v, v)
    for layer in spec:
        t = layer["type"]
        with torch.no_grad():
            shape = list(torch.nn.Sequential(*layers).eval()(torch.zeros(1, *input_shape)).shape[1:])
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
    return torch.nn.Sequential(*layers)


def write_images(tmp, rng, n=200):
    """Images [N, 1, 12, 12] with 2 classes (bright left or right half) as .npy; returns the paths."""
    x = rng.uniform(0, 0.2, size=(n, 1, 12, 12))
    y = rng.integers(0, 2, size=n)
    for i in range(n):
        x[i, 0, :, :6] += 0.8 * (y[i] == 0)
        x[i, 0, :, 6:] += 0.8 * (y[i] == 1)
    xp, yp = os.path.join(tmp, "img_x.npy"), os.path.join(tmp, "img_y.npy")
    np.save(xp, x.astype(np.float32))
    np.save(yp, y.astype(np.int64))
    return xp, yp


# ---- (a) nn -> PyTorch -------------------------------------------------------------------------------

def nn_to_torch(tmp, name, data_args, model_spec, x):
    path = os.path.join(tmp, name + ".safetensors")
    run_nn("train", *data_args, "--model", model_spec, "--epochs", "2", "--quiet", "--threads", "1", "--scale", "none",
           "--save", path)
    meta = metadata(path)
    input_shape = json.loads(meta["input_shape"])
    model = to_torch(json.loads(meta["model_spec"]), input_shape)
    result = model.load_state_dict(st.load_file(path), strict=True)
    assert not result.missing_keys and not result.unexpected_keys, result
    model.eval()
    xin, yout = os.path.join(tmp, name + "_x.npy"), os.path.join(tmp, name + "_y.npy")
    np.save(xin, x.astype(np.float32))
    run_nn("predict", path, "--input", xin, "--output", yout, "--threads", "1")
    with torch.no_grad():
        theirs = model(torch.from_numpy(x.astype(np.float32)).reshape(len(x), *input_shape)).numpy()
    print(f"(a) nn -> torch, {name}: {model_spec}: loaded by torch.nn.Sequential.load_state_dict (strict)")
    expect_close("nn predict vs torch", np.load(yout), theirs)


# ---- (b) PyTorch -> nn -------------------------------------------------------------------------------

def torch_to_nn(tmp, name, model, spec, input_shape, x, y=None, train_batches=()):
    # Training-mode batches move batch norm's running statistics; predictions are in eval mode.
    model.train()
    with torch.no_grad():
        for batch in train_batches:
            model(batch)
    model.eval()
    path = os.path.join(tmp, f"torch_{name}.safetensors")
    st.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    shape_args = ["--input-shape", ",".join(map(str, input_shape))] if input_shape else []
    xt = torch.from_numpy(x.astype(np.float32))
    with torch.no_grad():
        logits = model(xt)
    xin, yout = os.path.join(tmp, f"torch_{name}_x.npy"), os.path.join(tmp, f"torch_{name}_out.npy")
    np.save(xin, x.astype(np.float32))
    print(f"(b) torch -> nn, {name}: {spec}{' ' + ' '.join(shape_args) if shape_args else ''}")
    run_nn("predict", path, "--model", spec, *shape_args, "--input", xin, "--output", yout, "--threads", "1")
    expect_close("nn predict --model vs torch", np.load(yout), logits.numpy())
    if y is not None:
        yin = os.path.join(tmp, f"torch_{name}_y.npy")
        np.save(yin, y.astype(np.int64))
        r = run_nn("eval", path, "--model", spec, *shape_args, "--data", f"npy:{xin},{yin}", "--json", "--threads", "1")
        ours = json.loads(r.stdout)
        yt = torch.from_numpy(y.astype(np.int64))
        loss = float(torch.nn.functional.cross_entropy(logits, yt))
        accuracy = float((logits.argmax(dim=1) == yt).float().mean())
        assert ours["samples"] == len(y), ours
        expect_close("nn eval --model: loss", ours["loss"], loss)
        expect_close("nn eval --model: accuracy", ours["accuracy"], accuracy)
    return path


def unexpected_key(tmp, state_dict_path, spec, features):
    """A torch state dict with one key too many: nn refuses it and names the key."""
    tensors = st.load_file(state_dict_path)
    tensors["extra.weight"] = torch.ones(2, 2)
    path = os.path.join(tmp, "torch_extra.safetensors")
    st.save_file(tensors, path)
    xin = os.path.join(tmp, "extra_x.npy")
    np.save(xin, np.zeros((1, features), dtype=np.float32))
    r = run_nn("predict", path, "--model", spec, "--input", xin, ok=False)
    assert r.returncode == 1, f"expected exit 1, found {r.returncode}: {r.stderr}"
    assert "unexpected keys: extra.weight" in r.stderr and "torch_extra.safetensors" in r.stderr, r.stderr
    print(f"(b) an extra key is refused: {r.stderr.strip()}")


def main(argv):
    global NN, np, torch, st
    np, torch, st = interop_venv.import_torch()
    NN = os.path.abspath(argv[1])
    print(f"python {sys.executable}, torch {torch.__version__}")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        # (a)
        nn_to_torch(tmp, "mlp", ["--data", "blobs:features=5,centers=3"], "linear:16,relu,linear:8,tanh,linear:3",
                    rng.normal(size=(20, 5)))
        img_x, img_y = write_images(tmp, rng)
        nn_to_torch(tmp, "cnn", ["--data", f"npy:{img_x},{img_y}"],
                    "conv:4:3:1:1,batchnorm,relu,maxpool:2,conv:6:3:2:1,relu,avgpool:3,flatten,dropout:0.2,linear:2",
                    rng.uniform(0, 1, size=(10, 1, 12, 12)))

        # (b)
        torch.manual_seed(0)
        mlp = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.Tanh(),
                                  torch.nn.Linear(8, 3))
        mlp_path = torch_to_nn(tmp, "mlp", mlp, "linear:16,relu,linear:8,tanh,linear:3", None,
                               rng.normal(size=(50, 5)), rng.integers(0, 3, size=50))
        cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, 1, 1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                  torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, 3, 2, 1), torch.nn.ReLU(),
                                  torch.nn.AvgPool2d(3), torch.nn.Flatten(), torch.nn.Dropout(0.2),
                                  torch.nn.Linear(6, 2))
        x = np.load(img_x)
        batches = [torch.from_numpy(x[i:i + 32]) for i in range(0, 96, 32)]
        cnn_spec = "conv:4:3:1:1,batchnorm,relu,maxpool:2,conv:6:3:2:1,relu,avgpool:3,flatten,dropout:0.2,linear:2"
        torch_to_nn(tmp, "cnn", cnn, cnn_spec, [1, 12, 12], x, np.load(img_y), batches)

        # (3) the unexpected-keys report through the command line
        unexpected_key(tmp, mlp_path, "linear:16,relu,linear:8,tanh,linear:3", 5)


if __name__ == "__main__":
    main(interop_venv.enter(sys.argv))
