"""The busy-machine case of bench/compare.py (issue 19; the logic of bench/busy_machine.sh): a CPU hog
(a shell loop) pinned to the last core, and each workload trained with one thread and with the
default thread count (all cores), in nn and in PyTorch (PyPI). Target: nn's default never more
than 1.2x slower than its --threads 1. Also nn's default on the idle machine, before the hog
starts, against nn's --threads 1 there."""
import os
import statistics
import subprocess
import time

from .runner import log, run_json
from .tables import fmt, fmt_ratio
from .workloads import BENCH, BIN, CNN_SPEC

# (name, train_mlp arguments, torch script and arguments); the first 300 batches of an epoch.
CASES = [
    ("mlp-b64", ["--layers", "128,32", "--batch", "64"],
     ["torch_train_mlp.py", "--layers", "128,32", "--batch", "64"]),
    ("mlp-wide", ["--layers", "512,256", "--batch", "128"],
     ["torch_train_mlp.py", "--layers", "512,256", "--batch", "128"]),
    ("cnn", ["--model", CNN_SPEC, "--optimizer", "adam"],
     ["torch_train_cnn.py", "--batch", "64", "--lr", "0.002", "--skip-test"]),
]
BATCHES = ["--max-batches", "300"]

BUSY_HEADERS = ["workload", "nn 1 thread idle", "nn default idle", "nn 1 thread hog", "nn default hog",
                "nn default / 1 thread (hog)", "PyTorch 1 thread hog", "PyTorch default hog",
                "PyTorch default / 1 thread (hog)"]
BUSY_LEGEND = [
    "Seconds for the first 300 batches of an epoch (median of the repeats; lower is better). 'hog': a shell loop",
    "pinned to the last core (taskset) runs meanwhile. nn: bench/train_mlp (OpenBLAS auto) with --threads 1 and",
    f"with --threads {os.cpu_count()} (its default: all cores). PyTorch (PyPI): torch.set_num_threads(1) and",
    "OMP/OpenBLAS/MKL threads 1, against torch.set_num_threads(all cores) with the thread variables unset (its",
    "default). Target: nn default / 1 thread under the hog at most 1.2x.",
]


def seconds_of(out):
    if not out:
        return None
    if "seconds" in out:
        return float(out["seconds"])
    return 300 * 64 / float(out["samples_per_second"])  # torch_train_cnn.py (batch 64) reports samples/s alone


def _run(cmd, env, what):
    out = run_json(cmd, env, what)
    s = seconds_of(out)
    log(f"busy {what}: {s}")
    return s


def busy_workload(repeats, nn_impl, torch_impl):
    cores = os.cpu_count() or 1
    if cores < 2:
        log("busy: needs at least 2 cores; left out")
        return []
    rows = []
    for name, nn_args, torch_args in CASES:
        nn_cmd = [str(BIN / "train_mlp")] + nn_args + BATCHES
        torch_cmd = [torch_impl.python, str(BENCH / torch_args[0])] + torch_args[1:] + BATCHES
        runs = {k: [] for k in ("i1", "iN", "h1", "hN", "t1", "tN")}
        for r in range(repeats):
            runs["i1"].append(_run(nn_cmd + ["--threads", "1"], nn_impl.env(), f"{name} idle nn t1"))
            runs["iN"].append(_run(nn_cmd + ["--threads", str(cores)], nn_impl.env(), f"{name} idle nn t{cores}"))
        hog = subprocess.Popen(["taskset", "-c", str(cores - 1), "sh", "-c", "while :; do :; done"])
        try:
            time.sleep(0.3)
            for r in range(repeats):
                runs["h1"].append(_run(nn_cmd + ["--threads", "1"], nn_impl.env(), f"{name} hog nn t1"))
                runs["hN"].append(_run(nn_cmd + ["--threads", str(cores)], nn_impl.env(), f"{name} hog nn t{cores}"))
                runs["t1"].append(_run(torch_cmd + ["--threads", "1"], torch_impl.env(1), f"{name} hog torch t1"))
                runs["tN"].append(_run(torch_cmd + ["--threads", str(cores)], torch_impl.env(),
                                       f"{name} hog torch default"))
        finally:
            hog.kill()
            hog.wait()
        med = {k: statistics.median([x for x in v if x is not None]) if any(x is not None for x in v) else None
               for k, v in runs.items()}
        cell = lambda k: f"{fmt(med[k])} s" if med[k] is not None else "n/a"
        ratio = lambda a, b: fmt_ratio(med[a] / med[b]) if med[a] and med[b] else "n/a"
        rows.append([name, cell("i1"), cell("iN"), cell("h1"), cell("hN"), ratio("hN", "h1"), cell("t1"), cell("tN"),
                     ratio("tN", "t1")])
    return rows
