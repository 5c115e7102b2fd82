"""ONNX in and out: nn's exports run in onnxruntime, PyTorch's exports run in nn (atol = rtol = 1e-5).

For every layer type nn has, and for the README's MLP and CNNs, a torch model with random weights
(batch norm with moved running statistics, layer norm with random affine weights) is saved as a
state dict, then:
(a) nn -> ONNX: `nn export STATE_DICT --model SPEC --onnx nn.onnx` passes onnx.checker (full check)
    and onnxruntime's outputs match `nn predict` (and torch); `nn predict nn.onnx` gives nn's own
    outputs again; `nn import nn.onnx` gives back every weight bit for bit.
(b) PyTorch -> nn: torch.onnx.export of the same model (opset 17, dynamic batch) loads with
    `nn predict MODEL.onnx` and matches torch; also x.view(x.size(0), -1) (Shape, Gather, Unsqueeze,
    Concat, Reshape) and a hand-made MatMul + Add graph.
(c) A model trained by `nn train` with input scaling: the scaler travels inside the ONNX graph, so
    onnxruntime on raw inputs matches `nn predict` on the model file.
(d) Malformed and unsupported files: a clear one-line error, exit 1, nothing written.

Usage: PYTHON onnx_interop.py [--venv DIR] PATH/TO/nn
  --venv DIR: run in that venv (made when missing, with safetensors, onnx and onnxruntime from PyPI;
  --system-site-packages, so Debian's torch stays visible). Without them: exit 77 (skipped), or 1
  when CI=true.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_venv  # noqa: E402

PACKAGES = ("safetensors", "onnx", "onnxruntime")
TOL = 1e-5
NN = None
np = torch = st = onnx = ort = None
LARGEST = {}  # what -> the largest difference seen


def run_nn(*args, ok=True):
    r = subprocess.run([NN, *args], capture_output=True, text=True)
    if ok:
        assert r.returncode == 0, f"nn {' '.join(args)}: exit {r.returncode}: {r.stderr}"
    return r


def expect_close(what, ours, theirs):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs {theirs.shape}"
    err = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    LARGEST[what] = max(LARGEST.get(what, 0.0), err)
    print(f"    {what}: max difference {err:.2e}")
    assert np.allclose(ours, theirs, atol=TOL, rtol=TOL), f"{what}: differ by {err:.2e} (> {TOL} + {TOL}|ref|)"


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def torch_layer(word, shape):
    """The torch module of one compact spec item, for samples of `shape`."""
    parts = word.split(":")
    t, a = parts[0], parts[1:]
    if t == "linear":
        return torch.nn.Linear(shape[-1], int(a[0]))
    if t == "linear_nobias":
        return torch.nn.Linear(shape[-1], int(a[0]), bias=False)
    if t == "conv":
        stride = int(a[2]) if len(a) > 2 else 1
        pad = int(a[3]) if len(a) > 3 else 0
        return torch.nn.Conv2d(shape[0], int(a[0]), int(a[1]), stride, pad)
    if t in ("maxpool", "avgpool"):
        k = int(a[0])
        s = int(a[1]) if len(a) > 1 else k
        cls = torch.nn.MaxPool2d if t == "maxpool" else torch.nn.AvgPool2d
        return cls(k, s)
    if t == "batchnorm":
        return (torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d)(shape[0])
    if t == "layernorm":
        return torch.nn.LayerNorm(shape[-1])
    if t == "dropout":
        return torch.nn.Dropout(float(a[0]))
    if t == "leakyrelu":
        return torch.nn.LeakyReLU(float(a[0]))
    if t == "gelu":
        return torch.nn.GELU(approximate=a[0] if a else "none")
    return {"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid(),
            "flatten": torch.nn.Flatten(), "identity": torch.nn.Identity(), "softmax": torch.nn.Softmax(dim=1)}[t]


def build_torch(spec, input_shape, seed):
    torch.manual_seed(seed)
    layers = []
    for word in spec.split(","):
        with torch.no_grad():
            shape = list(torch.nn.Sequential(*layers).eval()(torch.zeros(1, *input_shape)).shape[1:])
        layers.append(torch_layer(word, shape))
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for m in model:
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        model.train()  # batch norm's running statistics move away from 0 and 1
        for _ in range(3):
            model(torch.randn(16, *input_shape) * 2 + 0.5)
    return model.eval()


def nn_spec(spec):
    """The nn model spec of a test spec (linear_nobias:N is JSON {"type": "linear", "bias": false})."""
    if "linear_nobias" not in spec:
        return spec
    items = []
    for word in spec.split(","):
        parts = word.split(":")
        if parts[0] == "linear_nobias":
            items.append({"type": "linear", "out": int(parts[1]), "bias": False})
        else:
            items.append({"type": "linear", "out": int(parts[1])} if parts[0] == "linear" else {"type": parts[0]})
    return json.dumps(items)


def ort_run(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def tensors_of(path):
    return {k: v.numpy() for k, v in st.load_file(path).items()}


def case(tmp, name, spec, input_shape, seed):
    print(f"  {name}: {spec} on {input_shape}")
    model = build_torch(spec, input_shape, seed)
    sd = os.path.join(tmp, f"{name}.safetensors")
    st.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, sd)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(7, *input_shape)).astype(np.float32)
    xin, yout = os.path.join(tmp, f"{name}_x.npy"), os.path.join(tmp, f"{name}_nn.npy")
    np.save(xin, x)
    with torch.no_grad():
        y_torch = model(torch.from_numpy(x)).numpy().reshape(len(x), -1)
    shape_args = ["--model", nn_spec(spec), "--input-shape", ",".join(map(str, input_shape))]
    run_nn("predict", sd, *shape_args, "--input", xin, "--output", yout, "--threads", "1")
    y_nn = np.load(yout)

    # (a) nn -> ONNX -> onnxruntime, and back into nn
    exported = os.path.join(tmp, f"{name}_nn.onnx")
    run_nn("export", sd, *shape_args, "--onnx", exported)
    onnx.checker.check_model(onnx.load(exported), full_check=True)
    y_ort = ort_run(exported, x).reshape(len(x), -1)
    expect_close("onnxruntime (nn's export) vs nn predict", y_ort, y_nn)
    expect_close("onnxruntime (nn's export) vs torch", y_ort, y_torch)
    y_back = os.path.join(tmp, f"{name}_nn_onnx.npy")
    run_nn("predict", exported, "--input", xin, "--output", y_back, "--threads", "1")
    assert np.array_equal(np.load(y_back), y_nn), "nn predict on nn's ONNX export differs from the model it came from"
    back = os.path.join(tmp, f"{name}_back.safetensors")
    run_nn("import", exported, "--out", back)
    ours, theirs = tensors_of(back), tensors_of(sd)
    for key, value in theirs.items():
        if key.endswith("num_batches_tracked"):
            continue
        assert key in ours, f"{name}: {key} missing after nn -> ONNX -> nn (has {sorted(ours)})"
        assert ours[key].shape == value.shape and ours[key].tobytes() == value.tobytes(), \
            f"{name}: {key} is not bit-exact after nn -> ONNX -> nn"
    print(f"    nn -> ONNX -> nn: {len(theirs)} tensors bit-exact")

    # (b) PyTorch -> ONNX -> nn
    torch_onnx = os.path.join(tmp, f"{name}_torch.onnx")
    torch.onnx.export(model, torch.from_numpy(x[:2]), torch_onnx, opset_version=17, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    y_from_torch = os.path.join(tmp, f"{name}_torch_onnx.npy")
    run_nn("predict", torch_onnx, "--input", xin, "--output", y_from_torch, "--threads", "1")
    expect_close("nn predict (torch's export) vs torch", np.load(y_from_torch), y_torch)
    if name == "readme_mlp":  # nn eval on an ONNX file: loss and accuracy as torch computes them
        labels = rng.integers(0, 10, size=len(x))
        yin = os.path.join(tmp, f"{name}_labels.npy")
        np.save(yin, labels.astype(np.int64))
        ours = json.loads(run_nn("eval", torch_onnx, "--data", f"npy:{xin},{yin}", "--json", "--threads", "1").stdout)
        logits, yt = torch.from_numpy(y_torch), torch.from_numpy(labels)
        expect_close("nn eval (torch's export): loss", ours["loss"], float(torch.nn.functional.cross_entropy(logits, yt)))
        expect_close("nn eval (torch's export): accuracy", ours["accuracy"], float((logits.argmax(1) == yt).float().mean()))


def view_flatten_case(tmp):
    """x.view(x.size(0), -1) exports as Shape, Gather, Unsqueeze, Concat, Reshape."""
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 3, 3, 1, 1)
            self.fc = torch.nn.Linear(3 * 6 * 6, 4)

        def forward(self, x):
            x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
            return self.fc(x.view(x.size(0), -1))

    torch.manual_seed(5)
    model = Net().eval()
    x = np.random.default_rng(5).normal(size=(5, 1, 12, 12)).astype(np.float32)
    path, xin, yout = (os.path.join(tmp, n) for n in ("view.onnx", "view_x.npy", "view_y.npy"))
    torch.onnx.export(model, torch.from_numpy(x[:2]), path, opset_version=17, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    ops = [n.op_type for n in onnx.load(path).graph.node]
    print(f"  view-flatten: torch exported {ops}")
    assert "Reshape" in ops and "Shape" in ops, ops
    np.save(xin, x)
    run_nn("predict", path, "--input", xin, "--output", yout)
    with torch.no_grad():
        expect_close("nn predict (torch's export) vs torch", np.load(yout), model(torch.from_numpy(x)).numpy())


def matmul_add_case(tmp):
    """A MatMul + Add classifier after a Flatten, as exporters write Linear on other inputs."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(9)
    w = rng.normal(size=(12, 5)).astype(np.float32)
    b = rng.normal(size=(5,)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["input"], ["flat"], axis=1, name="flatten"),
         helper.make_node("MatMul", ["flat", "W"], ["mm"], name="matmul"),
         helper.make_node("Add", ["mm", "B"], ["pre"], name="add"),
         helper.make_node("Relu", ["pre"], ["output"], name="relu")],
        "mm", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 5])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    path, xin, yout = (os.path.join(tmp, n) for n in ("mm.onnx", "mm_x.npy", "mm_y.npy"))
    onnx.save(model, path)
    x = rng.normal(size=(6, 3, 4)).astype(np.float32)
    np.save(xin, x)
    run_nn("predict", path, "--input", xin, "--output", yout)
    print("  MatMul + Add:")
    expect_close("nn predict (MatMul + Add) vs onnxruntime", np.load(yout), ort_run(path, x))
    return model


def scaled_case(tmp):
    """nn train with input scaling: the scaler is the graph's first nodes (Sub, Div/Mul)."""
    rng = np.random.default_rng(3)
    for scale in ("standard", "minmax", "range"):
        model = os.path.join(tmp, f"scaled_{scale}.safetensors")
        run_nn("train", "--data", "blobs:features=5,centers=3", "--model", "linear:8,relu,linear:3", "--epochs", "2",
               "--quiet", "--threads", "1", "--scale", scale, "--save", model)
        x = (rng.normal(size=(9, 5)) * 4 + 2).astype(np.float32)
        xin, yout = os.path.join(tmp, "scaled_x.npy"), os.path.join(tmp, "scaled_y.npy")
        np.save(xin, x)
        run_nn("predict", model, "--input", xin, "--output", yout, "--threads", "1")
        exported = os.path.join(tmp, f"scaled_{scale}.onnx")
        run_nn("export", model, "--onnx", exported)
        onnx.checker.check_model(onnx.load(exported), full_check=True)
        print(f"  nn train --scale {scale}: ops {[n.op_type for n in onnx.load(exported).graph.node]}")
        expect_close("onnxruntime (raw inputs) vs nn predict (scaled model)", ort_run(exported, x), np.load(yout))
        # ... and nn reads its scaler back from the graph and the metadata, for the ONNX file itself
        run_nn("predict", exported, "--input", xin, "--output", yout + ".onnx.npy", "--threads", "1")
        assert np.array_equal(np.load(yout + ".onnx.npy"), np.load(yout)), "nn predict on the scaled ONNX file differs"
        info = run_nn("info", exported).stdout
        assert "ONNX model" in info and "nn.preprocess" not in info, info
        # ... and for the model file `nn import` writes.
        back = os.path.join(tmp, f"scaled_{scale}_back.safetensors")
        run_nn("import", exported, "--out", back)
        run_nn("predict", back, "--input", xin, "--output", yout + ".back.npy", "--threads", "1")
        assert np.array_equal(np.load(yout + ".back.npy"), np.load(yout)), "the imported scaled model differs"


def expect_refused(tmp, label, path, needle):
    """`nn predict` and `nn import` refuse `path`: exit 1, one line naming it, nothing written."""
    xin = os.path.join(tmp, "refused_x.npy")
    np.save(xin, np.zeros((1, 4), dtype=np.float32))
    out = os.path.join(tmp, "refused_out.safetensors")
    for args in (["predict", path, "--input", xin], ["import", path, "--out", out]):
        r = run_nn(*args, ok=False)
        err = r.stderr.strip()
        assert r.returncode == 1, f"{label}: nn {args[0]}: expected exit 1, found {r.returncode}: {err}"
        assert err.count("\n") == 0 and err.startswith("nn: error: ") and needle in err, f"{label}: {err}"
        assert not os.path.exists(out), f"{label}: nn import left {out} behind"
    print(f"  {label}: {err}")


def hostile_cases(tmp, mm_model):
    from onnx import TensorProto, helper, numpy_helper
    good = os.path.join(tmp, "mm.onnx")
    data = open(good, "rb").read()
    for label, content, needle in (("truncated", data[: len(data) // 2], "not an ONNX model"),
                                   ("garbage", b"\xff" * 64, "not an ONNX model"),
                                   ("empty", b"", "no graph")):
        path = os.path.join(tmp, f"{label}.onnx")
        open(path, "wb").write(content)
        expect_refused(tmp, label, path, needle)

    def model_of(nodes, inits, out_dims=("batch", 4)):
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
                                  [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(out_dims))], inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    path = os.path.join(tmp, "cos.onnx")
    onnx.save(model_of([helper.make_node("Cos", ["input"], ["output"], name="the_cos")], []), path)
    expect_refused(tmp, "unsupported operator", path, "node 'the_cos' (Cos")
    assert "nn reads: " in run_nn("predict", path, "--input", os.path.join(tmp, "refused_x.npy"), ok=False).stderr

    w = np.ones((3, 4), dtype=np.float32)
    ext = os.path.join(tmp, "external.onnx")
    model = model_of([helper.make_node("Gemm", ["input", "W"], ["output"], transB=1, name="fc")],
                     [numpy_helper.from_array(w, "W")], ("batch", 3))
    onnx.save_model(model, ext, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin",
                    size_threshold=0)
    expect_refused(tmp, "external data", ext, "external file")

    def raw_tensor(dims, raw):  # dims that need not match the data (helper.make_tensor checks them)
        t = TensorProto(name="W", data_type=TensorProto.FLOAT, raw_data=raw)
        t.dims.extend(dims)
        return t

    huge = raw_tensor([1 << 40, 1 << 40], b"")
    path = os.path.join(tmp, "huge.onnx")
    onnx.save(model_of([helper.make_node("Gemm", ["input", "W"], ["output"], transB=1, name="fc")], [huge]), path)
    expect_refused(tmp, "a tensor of 2^80 elements", path, "too large")

    path = os.path.join(tmp, "short.onnx")
    short = raw_tensor([3, 4], b"\0" * 8)
    onnx.save(model_of([helper.make_node("Gemm", ["input", "W"], ["output"], transB=1, name="fc")], [short]), path)
    expect_refused(tmp, "data shorter than its dims", path, "expected 48 bytes")

    path = os.path.join(tmp, "branch.onnx")
    onnx.save(model_of([helper.make_node("Relu", ["input"], ["a"], name="r1"),
                        helper.make_node("Relu", ["input"], ["output"], name="r2")], []), path)
    expect_refused(tmp, "not a chain", path, "chains of layers")

    # A FIFO where a model is expected is refused at once (never read: it would block); a FIFO at an
    # output path is refused, never written through.
    fifo = os.path.join(tmp, "fifo.onnx")
    os.mkfifo(fifo)
    expect_refused(tmp, "a FIFO", fifo, "FIFO")
    fifo_out = os.path.join(tmp, "fifo_out.safetensors")
    os.mkfifo(fifo_out)
    r = run_nn("import", good, "--out", fifo_out, ok=False)
    assert r.returncode == 1 and "FIFO" in r.stderr, r.stderr
    fifo_onnx = os.path.join(tmp, "fifo_out.onnx")
    os.mkfifo(fifo_onnx)
    r = run_nn("export", os.path.join(tmp, "linear.safetensors"), "--onnx", fifo_onnx, "--model", "linear:5",
               "--input-shape", "6", ok=False)
    assert r.returncode == 1 and "FIFO" in r.stderr, r.stderr
    print(f"  export to a FIFO: {r.stderr.strip()}")

    # Export refuses what it cannot write, and leaves nothing behind.
    out = os.path.join(tmp, "not_written.onnx")
    r = run_nn("export", os.path.join(tmp, "missing.safetensors"), "--onnx", out, ok=False)
    assert r.returncode == 1 and not os.path.exists(out), r.stderr
    r = run_nn("export", os.path.join(tmp, "mlp.safetensors"), "--onnx", os.path.join(tmp, "x.txt"),
               "--model", "linear:128,relu,linear:32,relu,linear:10", "--input-shape", "784", ok=False)
    assert r.returncode == 1 and ".onnx" in r.stderr, r.stderr
    print(f"  export: {r.stderr.strip()}")


CASES = [
    # every layer type
    ("linear", "linear:5", [6]),
    ("linear_nobias", "linear_nobias:5,relu,linear:3", [6]),
    ("relu", "linear:8,relu,linear:3", [6]),
    ("leakyrelu", "linear:8,leakyrelu:0.2,linear:3", [6]),
    ("sigmoid", "linear:8,sigmoid,linear:3", [6]),
    ("tanh", "linear:8,tanh,linear:3", [6]),
    ("softmax", "linear:8,relu,linear:3,softmax", [6]),
    ("identity", "linear:8,identity,linear:3", [6]),
    ("gelu", "linear:8,gelu,linear:3", [6]),
    ("gelu_tanh", "linear:8,gelu:tanh,linear:3", [6]),
    ("layernorm", "linear:8,layernorm,linear:3", [6]),
    ("batchnorm1d", "linear:8,batchnorm,relu,linear:3", [6]),
    ("dropout", "linear:8,dropout:0.3,linear:3", [6]),
    ("conv_pool", "conv:4:3:2:1,relu,maxpool:2,flatten,linear:3", [2, 11, 11]),
    ("avgpool_bn2d", "conv:4:3:1:1,batchnorm,tanh,avgpool:3:2,flatten,linear:3", [1, 10, 10]),
    # the README's models
    ("readme_mlp", "linear:128,relu,linear:32,relu,linear:10", [784]),
    ("readme_cnn", "conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10", [1, 28, 28]),
    ("readme_cnn_bn", "conv:32:3:1:1,batchnorm,relu,maxpool:2,conv:64:3:1:1,batchnorm,relu,maxpool:2,flatten,"
                      "dropout:0.3,linear:128,relu,dropout:0.3,linear:10", [1, 28, 28]),
]


def main(argv):
    global NN, np, torch, st, onnx, ort
    np, torch, st = interop_venv.import_torch()
    try:
        import onnx as onnx_module
        import onnxruntime as ort_module
    except ImportError as e:
        interop_venv.unavailable(f"onnx and onnxruntime are not importable by {sys.executable} ({e}; run with --venv)")
    onnx, ort = onnx_module, ort_module
    NN = os.path.abspath(argv[1])
    print(f"python {sys.executable}, torch {torch.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, spec, shape) in enumerate(CASES):
            case(tmp, name, spec, shape, seed=i)
        view_flatten_case(tmp)
        mm = matmul_add_case(tmp)
        scaled_case(tmp)
        hostile_cases(tmp, mm)
    print("largest differences:")
    for what, err in sorted(LARGEST.items()):
        print(f"  {what}: {err:.2e}")


if __name__ == "__main__":
    main(interop_venv.enter(sys.argv, PACKAGES))
