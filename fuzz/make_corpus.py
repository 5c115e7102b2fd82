#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/: small valid files and
malformed ones (truncated, wrong sizes, overflowing shapes, deep nesting, duplicate keys).

    fuzz/make_corpus.py [--nn build/release/bin/nn]

The model and checkpoint seeds come from a real training run of the nn command (a tiny model on
the xor data); without --nn (or when it fails) those valid seeds are skipped. Pure standard
library otherwise, so that the corpus can be regenerated anywhere. The output is deterministic.
"""
import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- safetensors and model files --------------------------------------------------------------------

def safetensors(header, data=b""):
    text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw + data


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def model_file(spec, input_shape, tensors, extra_meta=None):
    meta = {"format": "nn.model", "format_version": "1", "model_spec": spec, "input_shape": input_shape}
    meta.update(extra_meta or {})
    header = {"__metadata__": meta}
    data = b""
    for name, shape, values in tensors:
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * len(values)]}
        data += f32(values)
    return safetensors(header, data)


def safetensors_seeds():
    t = "safetensors"
    spec = json.dumps([{"type": "linear", "out": 2}, {"type": "relu"}, {"type": "linear", "out": 1}])
    put(t, "model_mlp.safetensors", model_file(spec, "[3]", [
        ("0.weight", [2, 3], [0.1, -0.2, 0.3, 0.4, 0.5, -0.6]), ("0.bias", [2], [0.0, 0.1]),
        ("2.weight", [1, 2], [1.0, -1.0]), ("2.bias", [1], [0.5])]))
    conv = json.dumps([{"type": "conv", "out": 2, "kernel": 3, "padding": 1}, {"type": "relu"},
                       {"type": "maxpool", "kernel": 2}, {"type": "flatten"}, {"type": "linear", "out": 2}])
    put(t, "model_conv.safetensors", model_file(conv, "[1, 4, 4]", [
        ("0.weight", [2, 1, 3, 3], [0.01 * i for i in range(18)]), ("0.bias", [2], [0.0, 0.0]),
        ("4.weight", [2, 8], [0.1] * 16), ("4.bias", [2], [0.0, 0.0])]))
    put(t, "plain.safetensors", safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, f32([1, 2])))
    put(t, "empty.safetensors", safetensors({}))
    put(t, "bad_dtype.safetensors", safetensors({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4))
    put(t, "wrap_shape.safetensors",
        safetensors({"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}}))
    put(t, "overlap.safetensors", safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                               "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, f32([1])))
    put(t, "duplicate_key.safetensors",
        safetensors('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],'
                    '"data_offsets":[0,4]}}', f32([1])))
    put(t, "deep.safetensors", safetensors("[" * 200 + "]" * 200))
    put(t, "truncated.safetensors", struct.pack("<Q", 1000) + b'{"a":')
    put(t, "huge_layer.safetensors", model_file(json.dumps([{"type": "linear", "out": 9223372036854775807}]), "[4]", []))
    put(t, "wide_layer.safetensors", model_file(json.dumps([{"type": "linear", "out": 65536}]), "[65536]", []))
    put(t, "deep_spec.safetensors", model_file("[" * 100, "[3]", []))
    put(t, "bad_input_shape.safetensors", model_file(spec, "[0, -1]", []))
    put(t, "wrong_tensors.safetensors", model_file(spec, "[3]", [("0.weight", [3, 2], [0.0] * 6)]))


# ---- NPY ------------------------------------------------------------------------------------------

def npy(descr, shape, data, version=1, fortran=False):
    shape_text = "(" + "".join("%d, " % d for d in shape).rstrip(" ") + ")" if len(shape) != 1 else "(%d,)" % shape[0]
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + data


def npy_seeds():
    t = "npy"
    put(t, "f4_2x3.npy", npy("<f4", [2, 3], f32([1, 2, 3, 4, 5, 6])))
    put(t, "f8_3.npy", npy("<f8", [3], struct.pack("<3d", 1.5, -2.0, 3.25)))
    put(t, "u1_4.npy", npy("|u1", [4], bytes([0, 1, 2, 255])))
    put(t, "i4_2.npy", npy("<i4", [2], struct.pack("<2i", -1, 7)))
    put(t, "i8_1.npy", npy("<i8", [1], struct.pack("<q", 42)))
    put(t, "scalar.npy", npy("<f4", [], f32([3.0])))
    put(t, "v2.npy", npy("<f4", [1, 1, 1, 2], f32([1, 2]), version=2))
    put(t, "fortran.npy", npy("<f4", [2], f32([1, 2]), fortran=True))
    put(t, "big_endian.npy", npy(">f4", [1], b"\0\0\0\0"))
    put(t, "wrap_shape.npy", npy("<f4", [4611686018427387904, 4], b""))
    put(t, "short_data.npy", npy("<f4", [10], f32([1])))
    put(t, "bad_magic.npy", b"\x93NUMPZ\x01\x00" + b"\0" * 8)
    put(t, "truncated_header.npy", b"\x93NUMPY\x01\x00\xff\x7f{'descr'")


# ---- IDX ------------------------------------------------------------------------------------------

def idx(ndims, dims, data):
    return b"\0\0\x08" + bytes([ndims]) + b"".join(struct.pack(">I", d) for d in dims) + data


def gz(data):
    return gzip.compress(data, mtime=0)


def idx_seeds():
    images = idx(3, [2, 2, 3], bytes(range(12)))
    labels = idx(1, [4], bytes([0, 1, 9, 3]))
    huge = idx(3, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b"")
    seeds = {"images": images, "labels": labels, "huge_dims": huge, "trailing": labels + b"\x05",
             "short": idx(1, [10], b"\x01"), "wrong_type": b"\0\0\x0d\x01" + struct.pack(">I", 1) + b"\0\0\0\0",
             "zero_rows": idx(3, [1, 0, 5], b"")}
    for name, data in seeds.items():
        put("idx", name, data)
        put("idx", name + ".gz", gz(data))
        put("idx_gzip", name, data)  # idx_gzip compresses its input itself
    put("idx", "corrupt.gz", gz(images)[:-6] + b"\0\0\0\0\0\0")
    put("idx", "truncated.gz", gz(images)[:12])


# ---- CSV ------------------------------------------------------------------------------------------

def csv_seeds():
    t = "csv"
    # The first byte picks the options (see fuzz/csv.cpp): 0 = ',' with header detection.
    put(t, "iris_like.csv", b"\x00sepal,petal,species\n5.1,1.4,setosa\n6.2,4.5,versicolor\n5.9,5.1,virginica\n")
    put(t, "numeric.csv", b"\x00" + b"1,2,0\n3,4,1\n5,6,0\n")
    put(t, "semicolon.csv", b"\x01a;b;y\n1;2;3\n4;5;6\n")
    put(t, "tabs_header.csv", b"\x0ex\ty\n1\t2\n")
    put(t, "quoted.csv", b'\x00"a,b",c\n"1",2\n"x""y",3\n')
    put(t, "ragged.csv", b"\x00a,b,c\n1,2\n3,4,5,6\n")
    put(t, "unclosed_quote.csv", b'\x00a,b\n"1,2\n')
    put(t, "bom_crlf.csv", b"\x00\xef\xbb\xbfa,b\r\n1,2\r\n")
    put(t, "regression.csv", b"\x80a,b,c\n1,2,3\n4,5,6\n")
    put(t, "wide_header.csv", b"\x00" + ",".join("c%d" % i for i in range(300)).encode() + b"\n" + b"1\n" * 50)
    put(t, "empty.csv", b"\x00")


# ---- model specs ----------------------------------------------------------------------------------

def spec_seeds():
    for text in ["linear:128,relu,linear:10", "conv:8:3:1:1,relu,maxpool:2,flatten,linear:10",
                 "linear:4:xavier,tanh,dropout:0.5,batchnorm,linear:1,sigmoid", "leakyrelu:0.1,softmax,identity",
                 "avgpool:2:2:0,conv:2:[3,3]", "linear:9223372036854775807", "conv:16777217:3", "linear:-3",
                 "linear:1e400", "nosuchlayer:3", "linear:4:5:6", ",,,", "linear:",
                 '[{"type":"linear","out":3},{"type":"relu"}]', "[" * 100]:
        put("model_spec", "%02d.txt" % len(os.listdir(os.path.join(CORPUS, "model_spec"))
                                            if os.path.isdir(os.path.join(CORPUS, "model_spec")) else []), text)
    js = [[{"type": "linear", "out": 3}, {"type": "relu"}, {"type": "linear", "out": 1}],
          {"layers": [{"type": "conv", "out": 4, "kernel": [3, 3], "stride": 1, "padding": [1, 1]},
                      {"type": "flatten"}, {"type": "linear", "out": 2, "init": "xavier", "gain": 2.0}]},
          [{"type": "batchnorm", "features": 4, "eps": 1e-5, "momentum": 0.1}],
          [{"type": "linear", "out": 18446744073709551615}], [{"type": "conv", "out": 2, "kernel": [3, 99999999999]}],
          [{"type": 3}], {"layers": 7}, [{"type": "linear", "out": 2, "bias": "yes"}]]
    for i, j in enumerate(js):
        put("model_spec_json", "%02d.json" % i, json.dumps(j))
    put("model_spec_json", "deep.json", "[" * 1000)
    put("model_spec_json", "duplicate.json", '[{"type":"linear","out":2,"out":3}]')


# ---- valid files from a real run ------------------------------------------------------------------

def from_nn(nn):
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.safetensors")
        ckpt = os.path.join(tmp, "ckpt")
        cmd = [nn, "train", "--data", "xor", "--model", "linear:4,tanh,linear:2", "--epochs", "2", "--seed", "1",
               "--save", model, "--checkpoint-dir", ckpt]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            print("make_corpus: nn train failed, skipping the seeds from a real run:", result.stderr.strip())
            return
        with open(model, "rb") as f:
            put("safetensors", "trained.safetensors", f.read())
        for name in sorted(os.listdir(ckpt)):
            if name.endswith(".safetensors") and not name.startswith("."):
                with open(os.path.join(ckpt, name), "rb") as f:
                    data = f.read()
                put("checkpoint", name, data)
                put("checkpoint", "truncated_" + name, data[: len(data) // 2])
    put("checkpoint", "model_not_checkpoint.safetensors", open(os.path.join(CORPUS, "safetensors",
                                                                              "model_mlp.safetensors"), "rb").read())


# ---- ONNX ------------------------------------------------------------------------------------------

def varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def onnx_seeds(nn):
    """Hand-encoded malformed files; with --nn, nn's exports of tiny models (and their broken
    copies); with torch importable, PyTorch's exports (Pad, Shape + Reshape, decomposed GELU)."""
    t = "onnx"
    # ModelProto.graph (7) > GraphProto.node (1) > NodeProto.attribute (5) > AttributeProto.g (6) > ...
    deep = b""
    for _ in range(60):
        deep = field(1, field(5, field(6, deep)))
    put(t, "deep_nesting.onnx", field(7, deep))
    put(t, "empty.onnx", b"")
    put(t, "bad_varint.onnx", b"\x3a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")
    put(t, "graph_only.onnx", field(7, field(2, b"g")))
    if not nn:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec, data, scale in (("mlp", "linear:4,tanh,linear:2", "xor", "none"),
                                        ("mlp_scaled", "linear:3,gelu,layernorm,leakyrelu,linear:2", "xor", "standard"),
                                        ("bn", "linear:3,batchnorm,relu,dropout:0.2,linear:2,softmax", "xor", "minmax")):
            model, out = os.path.join(tmp, name + ".safetensors"), os.path.join(tmp, name + ".onnx")
            r = subprocess.run([nn, "train", "--data", data, "--model", spec, "--epochs", "1", "--seed", "1",
                                "--scale", scale, "--quiet", "--save", model], capture_output=True, text=True)
            r2 = r.returncode == 0 and subprocess.run([nn, "export", model, "--onnx", out], capture_output=True)
            if not r2 or r2.returncode != 0:
                print("make_corpus: nn train/export failed, skipping", name, r.stderr.strip())
                continue
            data = open(out, "rb").read()
            put(t, name + ".onnx", data)
            put(t, "truncated_" + name + ".onnx", data[: len(data) // 2])
            put(t, "flipped_" + name + ".onnx", data[:40] + bytes([data[40] ^ 0x55]) + data[41:])
        try:
            import torch
        except ImportError:
            print("make_corpus: no torch, skipping PyTorch's ONNX exports")
            return
        torch.manual_seed(0)

        class View(torch.nn.Module):
            def forward(self, x):
                return x.view(x.size(0), -1)

        models = {"torch_cnn": (torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, 1, 1), torch.nn.BatchNorm2d(2),
                                                    torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.AvgPool2d(2, 1, 1),
                                                    View(), torch.nn.Linear(2 * 4 * 4, 2)), (1, 1, 6, 6)),
                  "torch_gelu": (torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.GELU(),
                                                     torch.nn.GELU(approximate="tanh"), torch.nn.Flatten(),
                                                     torch.nn.Linear(4, 2)), (1, 3))}
        for name, (model, shape) in models.items():
            path = os.path.join(tmp, name + ".onnx")
            torch.onnx.export(model.eval(), torch.zeros(*shape), path, opset_version=17, input_names=["input"],
                              output_names=["output"], dynamic_axes={"input": {0: "batch"}})
            put(t, name + ".onnx", open(path, "rb").read())


def checkpoint_seeds():
    t = "checkpoint"
    meta = {"format": "nn.checkpoint", "format_version": "1", "settings": "{}", "settings_hash": "0",
            "state": json.dumps({"epoch": 1, "batch": 0, "step": 1})}
    put(t, "bad_hash.safetensors", safetensors({"__metadata__": meta}))
    meta2 = dict(meta, state="[" * 100)
    put(t, "deep_state.safetensors", safetensors({"__metadata__": meta2}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nn", help="the nn command, for seeds from a real training run")
    args = ap.parse_args()
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    safetensors_seeds()
    npy_seeds()
    idx_seeds()
    csv_seeds()
    spec_seeds()
    checkpoint_seeds()
    if args.nn:
        from_nn(args.nn)
    onnx_seeds(args.nn)
    for target in sorted(os.listdir(CORPUS)):
        print("%-16s %d files" % (target, len(os.listdir(os.path.join(CORPUS, target)))))


if __name__ == "__main__":
    main()
