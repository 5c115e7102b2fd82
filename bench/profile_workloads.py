"""Where the time of each training workload goes: `perf record` (cpu-clock sampling, DWARF call
stacks) of bench/train_mlp on each workload of bench/compare.py, and each sample put into one
category by its call stack (the innermost frame that names one decides; threading only when no
frame names anything else): GEMM (OpenBLAS and
nn::ops::gemm), im2col / col2im (and the padding copies around them), the direct convolution
kernels, batch norm, pooling, element-wise (activations, bias, loss, dropout), optimizer (step,
zero_grad), data gathering (DataLoader / Dataset::gather), threading overhead (nn's worker pool,
futex and scheduler calls) and other. Samples of the start-up (loading the data set, the dynamic
loader) are left out. Prints a Markdown table per thread count, then each workload's top symbols.

python bench/profile_workloads.py [--only NAME...] [--threads 1 2] [--coretype Haswell] [--freq 1000]
Needs perf (linux-perf) and a release build. On a shared machine the shares hold better than the
times: other processes only take samples away from the whole run.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from comparison.workloads import BIN, BY_NAME  # noqa: E402

WORKLOADS = {  # train_mlp arguments: the compare.py workload, shortened where an epoch is long
    "mlp-b64": BY_NAME["mlp-b64"].nn[1:] + ["--epochs", "3"],
    "mlp-b256": BY_NAME["mlp-b256"].nn[1:] + ["--epochs", "3"],
    "mlp-wide": BY_NAME["mlp-wide"].nn[1:],
    "cnn": BY_NAME["cnn"].nn[1:] + ["--max-batches", "400"],
    "cnn-strong": BY_NAME["cnn-strong"].nn[1:] + ["--max-batches", "80"],
}
EXCLUDE = re.compile(r"load_mnist|read_idx|Dataset::to_float|_dl_|dl_main|_dl_start|parse_model_spec|build_model")
RULES = [  # (category, pattern on a frame's symbol or library), the innermost matching frame decides
    ("GEMM", re.compile(r"sgemm|sgemv|gemm_small|gemm_portable|ops::gemm|libopenblas|blas_thread")),
    ("im2col / col2im, padding copies", re.compile(r"im2col|col2im|conv_flat_pad|conv_flat_unpad")),
    ("conv (direct kernels, other)", re.compile(r"forward_block|weight_grad_block|input_grad_block|conv_direct|Conv2D")),
    ("batch norm", re.compile(r"batch_norm|BatchNorm")),
    ("pooling", re.compile(r"max_pool|avg_pool|MaxPool|AvgPool")),  # not nn::detail::pool(), the workers
    ("optimizer (step, zero_grad)", re.compile(r"sgd_|adam|Adam|SGD|Optimizer|zero_grad|all_finite")),
    ("data gathering", re.compile(r"DataLoader|Dataset::gather|gather")),
    ("threading overhead", re.compile(r"parallel|worker|futex|sched_|schedule|pthread|gomp|omp_|syscall")),
    ("element-wise (activation, bias, loss, dropout)",
     re.compile(r"relu|tanh|sigmoid|softmax|cross_entropy|Loss|Dropout|Rng|bias|Linear|Sequential|Flatten|ops::")),
]
CATEGORIES = [r[0] for r in RULES] + ["other"]
THREADING = "threading overhead"


def samples(data):
    """Yields each sample's frames (symbol and library), innermost first."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], capture_output=True, text=True,
                         check=True).stdout
    for block in out.split("\n\n"):
        frames = []
        for line in block.strip().splitlines():
            m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
            if m:
                frames.append((m.group(1), os.path.basename(m.group(2))))
        if frames:
            yield frames


def classify(frames):
    if any(EXCLUDE.search(s) for s, _ in frames) or frames[0][1].startswith(("libz", "ld-linux")):
        return None
    # Threading last: a worker's frames name the work it runs (innermost first); only a sample with
    # nothing else on its stack (spinning, waiting, waking) is threading overhead.
    for rules in ([r for r in RULES if r[0] != THREADING], [r for r in RULES if r[0] == THREADING]):
        for sym, dso in frames:
            for cat, pat in rules:
                if pat.search(sym) or pat.search(dso):
                    return cat
    return "other"


def profile(name, threads, freq, env):
    with tempfile.TemporaryDirectory(prefix="nn-profile-") as tmp:
        data = str(Path(tmp) / "perf.data")
        cmd = [str(BIN / "train_mlp")] + WORKLOADS[name] + ["--threads", str(threads)]
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(freq), "--call-graph", "dwarf,8192",
                        "-o", data, "--"] + cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        cats, leaves, total = collections.Counter(), collections.Counter(), 0
        for frames in samples(data):
            cat = classify(frames)
            if cat is None:
                continue
            total += 1
            cats[cat] += 1
            leaves[frames[0][0]] += 1
    return cats, leaves, total, "train_mlp " + " ".join(cmd[1:])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--coretype", help="OPENBLAS_CORETYPE for the runs (default: OpenBLAS's own choice)")
    p.add_argument("--freq", type=int, default=1000, help="samples per second (default 1000)")
    a = p.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if a.coretype:
        env["OPENBLAS_CORETYPE"] = a.coretype
    results = {}
    for name in a.only:
        for t in a.threads:
            results[(name, t)] = profile(name, t, a.freq, env)
            print(f"profiled {name} with {t} thread(s): {results[(name, t)][2]} samples", file=sys.stderr)
    print(f"perf record -e cpu-clock -F {a.freq} --call-graph dwarf, OPENBLAS_CORETYPE={a.coretype or 'unset'}; "
          f"command: python bench/profile_workloads.py {' '.join(sys.argv[1:])}")
    for t in a.threads:
        print(f"\nShare of the samples, --threads {t}\n")
        print("| category | " + " | ".join(a.only) + " |")
        print("|---|" + "---|" * len(a.only))
        for cat in CATEGORIES:
            cells = []
            for name in a.only:
                cats, _, total, _ = results[(name, t)]
                cells.append(f"{100 * cats[cat] / total:.1f}%" if total else "n/a")
            if any(c not in ("0.0%", "n/a") for c in cells):
                print(f"| {cat} | " + " | ".join(cells) + " |")
        print("| samples | " + " | ".join(str(results[(n, t)][2]) for n in a.only) + " |")
    print("\nTop symbols (innermost frame), --threads " + str(a.threads[0]))
    for name in a.only:
        _, leaves, total, cmd = results[(name, a.threads[0])]
        top = ", ".join(f"{s} {100 * c / total:.1f}%" for s, c in leaves.most_common(8))
        print(f"- {name} (`{cmd}`): {top}")


if __name__ == "__main__":
    main()
