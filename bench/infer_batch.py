"""The onnxruntime and PyTorch side of bench/infer_batch.cpp: batch inference throughput of the main
job's MLP (784-128-32-10, ReLU) with the weights nn wrote. The 10,000 Fashion-MNIST test images are
preloaded as float32 in [0, 1] and cut into batches of --batch rows (contiguous slices, the last
partial batch left out) before the clock starts, and run through the model --passes times.

  --engine ort    onnxruntime (PyPI) on the ONNX file `infer_batch --onnx PATH` exported, one
                  session with intra_op_num_threads = --threads, inter_op 1, sequential execution,
                  all graph optimizations;
  --engine torch  the same MLP built in PyTorch, its weights read from `infer_batch --weights PATH`,
                  evaluation mode under torch.inference_mode().

python infer_batch.py --engine ort --onnx PATH --weights PATH [--batch 256] [--passes 100] [--threads 1]
Prints one JSON object.
"""
import argparse
import json
import time

import numpy as np

from fashion_mnist import read_idx


def torch_runner(a, batches):
    import torch

    torch.set_num_threads(a.threads)
    sizes = [784] + [int(s) for s in a.layers.split(",")] + [10]
    raw = np.fromfile(a.weights, dtype="<f4")
    mods, at = [], 0
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        lin = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(raw[at : at + n_in * n_out].reshape(n_out, n_in)))
            at += n_in * n_out
            lin.bias.copy_(torch.from_numpy(raw[at : at + n_out]))
            at += n_out
        mods += [lin] + ([torch.nn.ReLU()] if i + 2 < len(sizes) else [])
    if at != raw.size:
        raise SystemExit(f"infer_batch.py: {a.weights} holds {raw.size} floats, the MLP {a.layers} needs {at}")
    model = torch.nn.Sequential(*mods).eval()
    xs = [torch.from_numpy(b) for b in batches]

    def run():
        sink = 0.0
        with torch.inference_mode():
            for x in xs:
                sink += float(model(x)[0, 0])
        return sink

    return run, "torch " + torch.__version__


def ort_runner(a, batches):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name

    def run():
        sink = 0.0
        for x in batches:
            sink += float(sess.run(None, {name: x})[0][0, 0])
        return sink

    return run, "onnxruntime " + ort.__version__


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--engine", choices=["ort", "torch"], required=True)
    p.add_argument("--onnx", help="the ONNX file infer_batch --onnx wrote (--engine ort)")
    p.add_argument("--weights", help="the raw weights infer_batch --weights wrote (--engine torch)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--passes", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--layers", default="128,32")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    x = read_idx(f"{a.data_dir}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    batches = [np.ascontiguousarray(x[s : s + a.batch]) for s in range(0, len(x) - a.batch + 1, a.batch)]
    run, impl = (ort_runner if a.engine == "ort" else torch_runner)(a, batches)
    for _ in range(a.warmup):
        run()
    t0 = time.perf_counter()
    for _ in range(a.passes):
        run()
    seconds = time.perf_counter() - t0
    samples = a.passes * len(batches) * a.batch
    print(json.dumps({"impl": impl, "layers": a.layers, "batch": a.batch, "threads": a.threads, "samples": samples,
                      "seconds": round(seconds, 4), "samples_per_second": round(samples / seconds, 1)}))


if __name__ == "__main__":
    main()
