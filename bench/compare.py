"""nn and PyTorch side by side: the driver behind bench/compare_pytorch.sh.

Every workload runs in four columns, with the same data, model, batch size, optimizer and thread
budget:
  nn                    build/release/bin, the environment as it is (on the development machine
                        OPENBLAS_CORETYPE=Haswell, which makes OpenBLAS use its AVX2 kernels);
  nn (OpenBLAS auto)    the same binaries under `env -u OPENBLAS_CORETYPE`: OpenBLAS picks its
                        kernels from the CPU (AVX-512 ones on a CPU that has it);
  PyTorch (PyPI)        the current release from PyPI, in bench/.venv;
  PyTorch (Debian)      Debian's python3-torch under /usr/bin/python3; it uses the system OpenBLAS
                        and runs with the environment as it is (OPENBLAS_CORETYPE included).

Throughput and latency workloads run for each thread budget (--threads, default 1 2). PyTorch gets
its best thread configuration within the budget: torch.set_num_threads x OPENBLAS_NUM_THREADS =
OMP_NUM_THREADS = MKL_NUM_THREADS in {1, 2}^2 (capped at the budget), chosen on one warm-up run of
each configuration (a shorter run: about 16,000 training samples, 150 CNN batches, or a quarter of
the timed steps or calls); nn gets its budget through --threads (one budget for its OpenMP loops
and OpenBLAS) after one such warm-up run. Then the columns are run in turn, REPEATS times, starting with a
different column each round. The table has medians with min-max, and the ratio of nn to the faster
PyTorch release. Only the training (or inference) loop is timed; PyTorch gets the data preloaded as
float32 in [0, 1].

The memory workload runs the README's main job (the arguments run.sh passes to `nn train`, the
report into a temporary folder) and its PyTorch equivalent (bench/torch_main_job.py) and measures
each child's peak resident memory (os.wait4). For the GEMM-heavy MLP workloads it also reports the
GFLOP/s nn reaches, next to the SGEMM rate at the same shapes and threads (bench/sgemm_rate.cpp)
and the FP32 peak of the cores (bench/fma_peak.cpp).

python bench/compare.py [--repeats 3] [--only NAME...] [--threads 1 2] [--markdown PATH]
"""
import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "build" / "release" / "bin"
BENCH = ROOT / "bench"
CNN_SPEC = "conv:8:3:1:1,relu,maxpool:2,conv:16:3:1:1,relu,maxpool:2,flatten,linear:10"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GOTO_NUM_THREADS")
RUN_TIMEOUT = 1800


class Workload:
    def __init__(self, name, title, desc, unit, higher_better, nn, torch, key, warm=(), layers=None, batch=None):
        self.name, self.title, self.desc, self.unit, self.higher_better = name, title, desc, unit, higher_better
        self.nn, self.torch, self.key = nn, torch, key
        self.warm = list(warm)  # appended to either side's arguments for the shorter warm-up runs
        self.layers, self.batch = layers, batch  # MLPs: the GEMM efficiency rows

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
    Workload("xor", "XOR 2-3-1 tanh, 1 sample",
             "seed 004's XOR network (Linear 2->3, tanh, Linear 3->1, tanh), MSE, SGD lr 0.1, one sample per "
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
    Workload("memory", "main job peak RSS",
             "the README's main job (run.sh: MLP 784-128-32-10, Adam lr 1e-3, cosine, 15 epochs, batch 64, "
             "validation split 0.1, test accuracy, run folder): peak resident memory of the process", "MiB", False,
             None, None, None),
]
BY_NAME = {w.name: w for w in WORKLOADS}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON object in the output")


class Impl:
    """One column: how to start a workload's program and with which environment."""

    def __init__(self, key, label, kind, python=None, env_drop=(), available=True, note=""):
        self.key, self.label, self.kind, self.python = key, label, kind, python
        self.env_drop, self.available, self.note = env_drop, available, note

    def env(self, blas_threads=None):
        env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS and k not in self.env_drop}
        if blas_threads is not None:
            for k in THREAD_VARS[:3]:
                env[k] = str(blas_threads)
        return env

    def command(self, w, threads, torch_threads=None, warm=False):
        extra = w.warm if warm else []
        if self.kind == "nn":
            return [str(BIN / w.nn[0])] + w.nn[1:] + extra + ["--threads", str(threads)]
        return [self.python, str(BENCH / w.torch[0])] + w.torch[1:] + extra + ["--threads", str(torch_threads)]


def run_json(cmd, env, what):
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        log(f"{what}: timed out after {RUN_TIMEOUT} s")
        return None
    if p.returncode != 0:
        log(f"{what}: exit {p.returncode}: {p.stderr.strip()[-500:]}")
        return None
    try:
        return last_json(p.stdout)
    except ValueError as e:
        log(f"{what}: {e}")
        return None


def run_metric(impl, w, threads, cfg=None, warm=False):
    """One run (a shorter one with warm=True): the workload's metric, or None when it failed."""
    if impl.kind == "nn":
        out = run_json(impl.command(w, threads, warm=warm), impl.env(), f"{w.name} {impl.key} t{threads}")
    else:
        tt, bt = cfg
        out = run_json(impl.command(w, threads, tt, warm), impl.env(bt), f"{w.name} {impl.key} t{tt} blas{bt}")
    if out is None:
        return None, None
    return float(out[w.key]), out


def peak_rss_of(cmd, env, what, log_path):
    """Runs cmd and returns (its peak resident memory in MiB or None, its stdout)."""
    with open(log_path, "w") as err:
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)
        watchdog = threading.Timer(RUN_TIMEOUT, p.kill)
        watchdog.start()
        stdout = p.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(p.pid, 0)  # this child's own rusage, peak RSS included
        watchdog.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        log(f"{what}: exit {p.returncode}; see the end of its log:\n" + Path(log_path).read_text()[-800:])
        return None, stdout
    return usage.ru_maxrss / 1024.0, stdout


def main_job_args(epochs, threads):
    """The arguments run.sh passes to `nn train`, read from run.sh itself."""
    text = (ROOT / "run.sh").read_text().replace("\\\n", " ")
    m = re.search(r"build/release/bin/nn\s+train\s+(.*?)\"\$@\"", text, re.S)
    if not m:
        sys.exit("compare.py: could not find the `nn train` command line in run.sh")
    args = shlex.split(m.group(1))
    if "--report" in args:
        i = args.index("--report")
        del args[i : i + 2]
    if epochs is not None:
        i = args.index("--epochs")
        args[i + 1] = str(epochs)
    if threads is not None:
        args += ["--threads", str(threads)]
    return ["train"] + args


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return "n/a", None
    med = statistics.median(v)
    return f"{fmt(med)} ({fmt(min(v))}-{fmt(max(v))})", med


def fmt(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(r):
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


def probe_torch(python, env):
    code = ("import json, re, torch; cfg = torch.__config__.show(); m = re.search(r'BLAS_INFO=(\\w+)', cfg); "
            "print(json.dumps({'version': torch.__version__, 'blas': m.group(1) if m else '?', "
            "'mkl': torch.backends.mkl.is_available()}))")
    env = dict(env, OPENBLAS_VERBOSE="2")
    try:
        p = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"
    info = last_json(p.stdout)
    core = re.search(r"Core:\s*(\S+)", p.stdout + p.stderr)
    info["openblas_core"] = core.group(1) if core else None
    return info, None


def cpu_model():
    fields = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if ":" in line:
                k, v = (s.strip() for s in line.split(":", 1))
                fields.setdefault(k, v)
    except OSError:
        return "unknown CPU"
    flags = fields.get("flags", "").split()
    isa = ", ".join(f for f in ("avx2", "fma", "avx512f", "amx_tile") if f in flags)
    return (f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')}, "
            f"stepping {fields.get('stepping', '?')}), {os.cpu_count()} cores, {isa}")


def table(headers, rows):
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    line = lambda r: "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(headers, rows):
    esc = lambda c: str(c).replace("|", "\\|")
    out = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each column (default 3)")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=[w.name for w in WORKLOADS],
                   help="run only these workloads: " + ", ".join(w.name for w in WORKLOADS))
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread budgets (default 1 2)")
    p.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown to PATH")
    p.add_argument("--main-epochs", type=int, help="epochs of the main job in the memory workload (default: run.sh's)")
    p.add_argument("--main-threads", type=int,
                   help="threads of the main job (default: as run.sh, nn's and torch's default of all cores)")
    p.add_argument("--debian-python", default="/usr/bin/python3", help="the Python that has Debian's python3-torch")
    p.add_argument("--command", help="the command line to print in the header (set by compare_pytorch.sh)")
    a = p.parse_args()
    if a.repeats < 1 or any(t < 1 for t in a.threads):
        p.error("--repeats and --threads need positive numbers")
    workloads = [w for w in WORKLOADS if not a.only or w.name in a.only]
    command = a.command or "python " + " ".join(shlex.quote(s) for s in sys.argv)
    started = time.time()

    coretype = os.environ.get("OPENBLAS_CORETYPE")
    base_env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    pypi, pypi_err = probe_torch(sys.executable, base_env)
    if pypi is None:
        sys.exit(f"compare.py: PyTorch does not load in {sys.executable}: {pypi_err}")
    deb, deb_err = probe_torch(a.debian_python, base_env)
    if deb is None:
        log(f"Debian's PyTorch is not usable ({a.debian_python}: {deb_err}); its column says n/a")
    impls = [
        Impl("nn", "nn", "nn"),
        Impl("nn_auto", "nn (OpenBLAS auto)", "nn", env_drop=("OPENBLAS_CORETYPE",)),
        Impl("torch", f"PyTorch {pypi['version']} (PyPI)", "torch", python=sys.executable),
        Impl("torch_deb", f"PyTorch {deb['version'] if deb else '1.13'} (Debian)", "torch",
             python=a.debian_python, available=deb is not None),
    ]
    torch_impls = [i for i in impls if i.kind == "torch" and i.available]
    nn_impls = impls[:2]

    blas = {}
    for impl in nn_impls:
        out = run_json([str(BIN / "sgemm_rate"), "--seconds", "0"], impl.env(), "blas probe")
        blas[impl.key] = out["blas"] if out else "?"

    header = [
        f"nn vs PyTorch, {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"{a.repeats} repeat{'s' if a.repeats > 1 else ''}, thread budgets {' '.join(map(str, a.threads))}",
        f"command: {command}",
        f"CPU: {cpu_model()}",
        f"nn BLAS, environment as is (OPENBLAS_CORETYPE={coretype or 'unset'}): {blas['nn']}",
        f"nn BLAS, OpenBLAS auto (env -u OPENBLAS_CORETYPE): {blas['nn_auto']}",
        f"PyTorch (PyPI): {pypi['version']} in {sys.executable}, BLAS {pypi['blas']}"
        + (", MKL" if pypi.get("mkl") else ""),
        (f"PyTorch (Debian python3-torch): {deb['version']} in {a.debian_python}, BLAS {deb['blas']} "
         f"(the system OpenBLAS, {deb['openblas_core'] or '?'} kernels: it runs with the environment as is"
         + (f", OPENBLAS_CORETYPE={coretype})" if coretype else ")"))
        if deb else f"PyTorch (Debian python3-torch): n/a ({deb_err})",
    ]
    if not coretype:
        header.append("OPENBLAS_CORETYPE is not set here: the nn and nn (OpenBLAS auto) columns run the same way")
    for line in header:
        log(line)

    gemm_workloads = [w for w in workloads if w.layers]
    peak_per_core = {}

    def measure_peak():
        """The per-core FMA peak, the best seen so far (other work on the machine only lowers it)."""
        out = run_json([str(BIN / "fma_peak"), "--threads", "1"], base_env, "fma_peak")
        if out:
            for isa in ("avx2", "avx512"):
                peak_per_core[isa] = max(peak_per_core.get(isa, 0.0), out[f"{isa}_gflops_per_core"])
            log(f"FP32 peak per core: AVX2 {out['avx2_gflops_per_core']:.1f} GFLOP/s, "
                f"AVX-512 {out['avx512_gflops_per_core']:.1f}")

    if gemm_workloads:
        measure_peak()

    rows, gemm_rows, gemm_values, notes = [], [], [], []
    ratio_read = {True: "> 1: nn faster", False: "< 1: nn faster"}
    for w in workloads:
        if w.name == "memory":
            rows.append(memory_workload(w, impls, a, notes))
            continue
        for T in a.threads:
            cfgs = [(tt, bt) for tt in (1, 2) for bt in (1, 2) if tt <= T and bt <= T]
            chosen, cfg_text = {}, []
            for impl in torch_impls:
                best = None
                for cfg in cfgs:
                    v, _ = run_metric(impl, w, T, cfg, warm=True)
                    log(f"{w.name} t{T} {impl.key} warm-up set_num_threads={cfg[0]} blas={cfg[1]}: {v}")
                    if v is not None and (best is None or (v > best[0] if w.higher_better else v < best[0])):
                        best = (v, cfg)
                if best:
                    chosen[impl.key] = best[1]
                    cfg_text.append(f"{'Debian' if impl.key == 'torch_deb' else 'PyPI'} {best[1][0]}/{best[1][1]}")
            for impl in nn_impls:
                v, _ = run_metric(impl, w, T, warm=True)
                log(f"{w.name} t{T} {impl.key} warm-up: {v}")
            cols = nn_impls + [i for i in torch_impls if i.key in chosen]
            values = {i.key: [] for i in impls}
            for r in range(a.repeats):
                for impl in cols[r % len(cols):] + cols[: r % len(cols)]:
                    v, _ = run_metric(impl, w, T, chosen.get(impl.key))
                    log(f"{w.name} t{T} run {r + 1}/{a.repeats} {impl.key}: {v}")
                    values[impl.key].append(v)
            rows.append(result_row(w, str(T), impls, values, ratio_read[w.higher_better], ", ".join(cfg_text)))
            if w.layers:
                gemm_values.append((w, T, values, gemm_rates(w, T, a.repeats, nn_impls)))
    if gemm_workloads:
        measure_peak()
    for w, T, values, rates in gemm_values:
        gemm_rows += gemm_efficiency(w, T, nn_impls, values, rates, peak_per_core, blas)

    title = "nn vs PyTorch"
    headers = ["workload", "unit", "threads"] + [i.label for i in impls] + [
        "nn / PyTorch", "nn auto / PyTorch", "ratio reads", "PyTorch threads (torch/BLAS)"]
    legend = [
        "Cells: median (min-max) over the repeats. Ratios: median of nn (or nn OpenBLAS auto) over the median of the",
        "faster PyTorch release. For samples/s higher is better (ratio > 1: nn faster); for us and MiB lower is",
        "better (ratio < 1: nn faster or smaller).",
        f"Columns: 'nn' runs with the environment as is (OPENBLAS_CORETYPE={coretype or 'unset'}); 'nn (OpenBLAS auto)' runs",
        "under `env -u OPENBLAS_CORETYPE`, where OpenBLAS picks its kernels from the CPU; Debian's PyTorch uses the",
        "system OpenBLAS and runs with the environment as is. PyTorch threads: the torch.set_num_threads / BLAS and",
        "OpenMP threads chosen as PyTorch's best configuration within the budget, on one shorter warm-up run each.",
    ]
    workload_lines = [f"{w.name} ({w.title}): {w.desc}" for w in workloads]
    gemm_headers = ["workload", "threads", "OpenBLAS kernels", "nn GFLOP/s", "SGEMM GFLOP/s (same shapes)",
                    "nn / SGEMM", "nn / AVX2 peak", "nn / AVX-512 peak", "SGEMM / AVX-512 peak"]
    gemm_legend = [
        "nn GFLOP/s: the GEMM flops of a training step (forward and dW of every layer, dX of every layer but the",
        "first) times the steps per second of the samples/s medians above. SGEMM: bench/sgemm_rate, the same",
        "products with the same shapes, transposes and threads through nn::ops::gemm, median of the repeats.",
        "Peaks: bench/fma_peak's FMA loop on one core (the better of a run before and one after the workloads), "
        "times the thread budget"
        + (f" (per core: AVX2 {peak_per_core['avx2']:.1f}, AVX-512 {peak_per_core['avx512']:.1f} GFLOP/s)."
           if peak_per_core else "."),
    ]
    elapsed = time.time() - started
    footer = f"total time {elapsed / 60:.1f} min"

    text = ["", *header, "", table(headers, rows), "", *legend, "Workloads:", *["  " + x for x in workload_lines]]
    if gemm_rows:
        text += ["", "GEMM efficiency of the MLP workloads", table(gemm_headers, gemm_rows), "", *gemm_legend]
    if notes:
        text += ["", *notes]
    text += ["", footer]
    print("\n".join(text))

    if a.markdown:
        md = [f"# {title}", "", *[f"- {h}" for h in header], "", markdown_table(headers, rows), "", " ".join(legend), "",
              "Workloads:", "", *[f"- {x}" for x in workload_lines]]
        if gemm_rows:
            md += ["", "## GEMM efficiency of the MLP workloads", "", markdown_table(gemm_headers, gemm_rows), "",
                   " ".join(gemm_legend)]
        if notes:
            md += ["", *[f"- {n}" for n in notes]]
        md += ["", footer, ""]
        Path(a.markdown).write_text("\n".join(md))
        log(f"wrote {a.markdown}")


def result_row(w, threads, impls, values, reads, cfg_text):
    cells, med = [], {}
    for impl in impls:
        if not impl.available:
            cells.append("n/a")
            continue
        cell, m = summary(values.get(impl.key, []))
        cells.append(cell)
        med[impl.key] = m
    torch_meds = [med[k] for k in ("torch", "torch_deb") if med.get(k) is not None]
    best = (max if w.higher_better else min)(torch_meds) if torch_meds else None
    ratio = lambda k: fmt_ratio(med[k] / best) if best and med.get(k) is not None else "n/a"
    return [w.title, w.unit, threads, *cells, ratio("nn"), ratio("nn_auto"), reads, cfg_text]


def gemm_rates(w, T, repeats, nn_impls):
    """bench/sgemm_rate at the workload's shapes and thread budget, for each nn column."""
    rates = {impl.key: [] for impl in nn_impls}
    for r in range(repeats):
        for impl in nn_impls:
            out = run_json([str(BIN / "sgemm_rate"), "--layers", w.layers, "--batch", str(w.batch), "--threads", str(T),
                            "--seconds", "0.5"], impl.env(), f"sgemm_rate {w.name} {impl.key}")
            rates[impl.key].append(out["gflops"] if out else None)
            log(f"{w.name} t{T} sgemm_rate {impl.key}: {rates[impl.key][-1]}")
    return rates


def gemm_efficiency(w, T, nn_impls, values, rates, peak_per_core, blas):
    rows = []
    for impl in nn_impls:
        core = re.search(r"\((\S+) kernels\)", blas.get(impl.key, ""))
        kernels = (core.group(1) if core else "?") + (" (env as is)" if impl.key == "nn" else " (auto)")
        sps = [v for v in values[impl.key] if v is not None]
        sg = [v for v in rates[impl.key] if v is not None]
        nn_gf = statistics.median(sps) * w.flops_per_sample() * 1e-9 if sps else None
        sg_gf = statistics.median(sg) if sg else None
        pct = lambda x, y: f"{100 * x / y:.0f}%" if x and y else "n/a"
        p2 = peak_per_core["avx2"] * T if peak_per_core.get("avx2") else None
        p512 = peak_per_core["avx512"] * T if peak_per_core.get("avx512") else None
        rows.append([w.name, str(T), kernels, f"{nn_gf:.1f}" if nn_gf else "n/a",
                     f"{sg_gf:.1f} ({min(sg):.1f}-{max(sg):.1f})" if sg else "n/a", pct(nn_gf, sg_gf), pct(nn_gf, p2),
                     pct(nn_gf, p512), pct(sg_gf, p512)])
    return rows


def memory_workload(w, impls, a, notes):
    """Peak resident memory of the main job: nn train with run.sh's arguments, and PyTorch's
    equivalent, interleaved over the repeats."""
    nn_args = main_job_args(a.main_epochs, a.main_threads)
    torch_args = ["--epochs", str(a.main_epochs or 15)]
    if a.main_threads:
        torch_args += ["--threads", str(a.main_threads)]
    cols = [i for i in impls if i.available]
    values = {i.key: [] for i in impls}
    extra = {i.key: [] for i in impls}
    with tempfile.TemporaryDirectory(prefix="nn-compare-") as tmp:
        for r in range(a.repeats):
            for impl in cols[r % len(cols):] + cols[: r % len(cols)]:
                out_dir = Path(tmp) / f"{impl.key}-{r}"
                if impl.kind == "nn":
                    cmd = [str(BIN / "nn")] + nn_args + ["--report", str(out_dir)]
                else:
                    cmd = [impl.python, str(BENCH / "torch_main_job.py")] + torch_args + ["--out", str(out_dir)]
                t0 = time.perf_counter()
                mib, stdout = peak_rss_of(cmd, impl.env(), f"memory {impl.key}", Path(tmp) / f"{impl.key}-{r}.log")
                seconds = time.perf_counter() - t0
                acc = None
                if stdout:
                    m = re.search(r"test: .*accuracy ([0-9.]+)%", stdout)
                    if m:
                        acc = float(m.group(1)) / 100
                    else:
                        try:
                            acc = last_json(stdout).get("test_accuracy")
                        except ValueError:
                            pass
                values[impl.key].append(mib)
                extra[impl.key].append((seconds, acc))
                log(f"memory run {r + 1}/{a.repeats} {impl.key}: {mib and round(mib, 1)} MiB, {seconds:.1f} s, "
                    f"test accuracy {acc}")
                shutil.rmtree(out_dir, ignore_errors=True)
    threads = str(a.main_threads) if a.main_threads else "all"
    notes.append("Main job, nn: nn " + " ".join(shlex.quote(s) for s in nn_args) + " --report TMPDIR; PyTorch: "
                 "bench/torch_main_job.py " + " ".join(torch_args) + " --out TMPDIR. Peak RSS of the process "
                 "(os.wait4 ru_maxrss). Wall time and test accuracy, medians:")
    for impl in cols:
        runs = [e for e in extra[impl.key] if e[0] is not None]
        secs = statistics.median(e[0] for e in runs) if runs else float("nan")
        accs = [e[1] for e in runs if e[1] is not None]
        notes.append(f"  {impl.label}: {secs:.0f} s, test accuracy "
                     + (f"{100 * statistics.median(accs):.1f}%" if accs else "n/a"))
    return result_row(w, threads, impls, values, "< 1: nn smaller", "default (all cores)" if not a.main_threads
                      else f"{a.main_threads} (torch.set_num_threads)")


if __name__ == "__main__":
    main()
