"""The workloads of bench/compare.py: each one's nn program and PyTorch script, their arguments
(and the shorter warm-up's), the metric they print and which way is better."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / "build" / "release" / "bin"
BENCH = ROOT / "bench"
CNN_SPEC = "conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10"
# The README's stronger CNN (batch norm, 32/64 channels, dropout).
STRONG_CNN_SPEC = ("conv:32:3:1:1,batchnorm,relu,maxpool:2,conv:64:3:1:1,batchnorm,relu,maxpool:2,flatten,"
                   "dropout:0.3,linear:128,relu,dropout:0.3,linear:10")
# The batch-inference model, written by bench/infer_batch (as ONNX and as raw weights) for the
# onnxruntime and PyTorch columns.
INFER_DIR = ROOT / "build" / "release" / "bench-infer"
INFER_FILES = ["--onnx", str(INFER_DIR / "mlp.onnx"), "--weights", str(INFER_DIR / "mlp.f32")]


class Workload:
    def __init__(self, name, title, desc, unit, higher_better, nn, torch, key, warm=(), layers=None, batch=None,
                 ort=None, budgets=None, prepare=None):
        self.name, self.title, self.desc, self.unit, self.higher_better = name, title, desc, unit, higher_better
        self.nn, self.torch, self.key = nn, torch, key
        self.warm = list(warm)  # appended to either side's arguments for the shorter warm-up runs
        self.layers, self.batch = layers, batch  # MLPs: the GEMM efficiency rows
        self.ort = ort  # the onnxruntime column's script and arguments, where there is one
        self.budgets = budgets  # the thread budgets it runs with (None: all of --threads)
        self.prepare = prepare  # an nn program's arguments, run once before the workload

    def flops_per_sample(self):
        """GEMM flops of one training step per sample: forward and dW for every layer, dX for every
        layer but the first (nn skips the input's gradient)."""
        sizes = [784] + [int(s) for s in self.layers.split(",")] + [10]
        return sum(2.0 * i * o * (2 if l == 0 else 3) for l, (i, o) in enumerate(zip(sizes, sizes[1:])))


def mlp(name, layers, batch):
    arch = "784-" + layers.replace(",", "-") + "-10"
    return Workload(name, f"MLP {arch} b{batch} SGD",
                    f"MLP {arch} ReLU, softmax cross-entropy, SGD momentum 0.9 lr 0.01, batch {batch}: "
                    "training samples/s over one epoch of Fashion-MNIST", "samples/s", True,
                    ["train_mlp", "--layers", layers, "--batch", str(batch), "--optimizer", "sgd"],
                    ["torch_train_mlp.py", "--layers", layers, "--batch", str(batch), "--optimizer", "sgd"],
                    "samples_per_second", ["--max-batches", str(max(50, 16000 // batch))], layers, batch)


WORKLOADS = [
    mlp("mlp-b64", "128,32", 64),
    mlp("mlp-b256", "128,32", 256),
    mlp("mlp-wide", "512,256", 128),
    Workload("cnn", "small CNN b64 Adam",
             "the small CNN (conv 1->8 3x3, relu, maxpool 2, conv 8->16 3x3, relu, maxpool 2, linear 784->10), "
             "Adam lr 0.002, batch 64: training samples/s over one epoch", "samples/s", True,
             ["train_mlp", "--model", CNN_SPEC, "--batch", "64", "--optimizer", "adam"],
             ["torch_train_cnn.py", "--epochs", "1", "--batch", "64", "--lr", "0.002", "--skip-test"],
             "samples_per_second", ["--max-batches", "150"]),
    Workload("cnn-strong", "stronger CNN b64 SGD",
             "the README's stronger CNN (conv 1->32 3x3, batch norm, relu, maxpool 2, conv 32->64 3x3, batch norm, "
             "relu, maxpool 2, dropout 0.3, linear 3136->128, relu, dropout 0.3, linear 128->10), SGD momentum 0.9 "
             "lr 0.01, batch 64: training samples/s over the first 300 batches of an epoch", "samples/s", True,
             ["train_mlp", "--model", STRONG_CNN_SPEC, "--batch", "64", "--optimizer", "sgd", "--max-batches", "300"],
             ["torch_train_cnn.py", "--model", "strong", "--optimizer", "sgd", "--lr", "0.01", "--epochs", "1",
              "--batch", "64", "--skip-test", "--max-batches", "300"],
             "samples_per_second", ["--max-batches", "40"]),
    Workload("xor", "XOR 2-3-1 tanh, 1 sample",
             "the XOR network (Linear 2->3, tanh, Linear 3->1, tanh), MSE, SGD lr 0.1, one sample per "
             "step: microseconds per step (forward, loss value, backward, step, zero_grad)", "us/step", False,
             ["xor_step", "--steps", "400000", "--warmup", "40000"],
             ["torch_xor_step.py", "--steps", "10000", "--warmup", "1000"], "us_per_step",
             ["--steps", "3000", "--warmup", "300"]),
    Workload("infer", "MLP 784-128-32-10 inference, 1 image",
             "the main job's MLP in eval mode (torch.inference_mode), one Fashion-MNIST test image per call: "
             "microseconds per call", "us/call", False,
             ["infer_one", "--calls", "20000", "--warmup", "2000"],
             ["torch_infer_one.py", "--calls", "20000", "--warmup", "2000"], "us_per_call",
             ["--calls", "5000", "--warmup", "500"]),
    Workload("infer-b256", "MLP 784-128-32-10 inference, batch 256",
             "the main job's MLP in eval mode, batches of 256 Fashion-MNIST test images (39 per pass, preloaded), "
             "the same weights in every column (bench/infer_batch writes them as ONNX for onnxruntime and raw for "
             "PyTorch): samples/s over 100 passes", "samples/s", True,
             ["infer_batch", "--batch", "256", "--passes", "100", "--warmup", "10"],
             ["infer_batch.py", "--engine", "torch", "--batch", "256", "--passes", "100", "--warmup", "10"]
             + INFER_FILES, "samples_per_second", ["--passes", "20", "--warmup", "5"],
             ort=["infer_batch.py", "--engine", "ort", "--batch", "256", "--passes", "100", "--warmup", "10"]
             + INFER_FILES, budgets=[1], prepare=["infer_batch", "--passes", "0", "--warmup", "0"] + INFER_FILES),
    Workload("busy", "busy machine (CPU hog on one core)",
             "a CPU hog (a shell loop) pinned to the last core; mlp-b64, mlp-wide and cnn (first 300 batches) "
             "with the default thread count (all cores) and with one thread, nn and PyTorch (PyPI)", "s", False,
             None, None, None),
    Workload("memory", "main job peak RSS",
             "the README's main job (run.sh: MLP 784-128-32-10, Adam lr 1e-3, cosine, 15 epochs, batch 64, "
             "validation split 0.1, test accuracy, run folder): peak resident memory of the process", "MiB", False,
             None, None, None),
]
BY_NAME = {w.name: w for w in WORKLOADS}

# The MLP workloads also run in dlib (bench/dlib_train_mlp).
DLIB_WORKLOADS = ("mlp-b64", "mlp-b256")
