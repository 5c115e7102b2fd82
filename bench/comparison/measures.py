"""The measurements of bench/compare.py beyond the timed columns: dlib on the MLP workloads,
bench/sgemm_rate at the MLP shapes, and the main job's peak resident memory."""
import os
import re
import shlex
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from .runner import THREAD_VARS, last_json, log, main_job_args, peak_rss_of, run_json
from .tables import fmt_ratio, result_row, summary
from .workloads import BENCH, BIN


def dlib_row(w, T, repeats, nn_values):
    """dlib's samples/s on an MLP workload at budget T (its best OpenBLAS thread count), next to nn's."""
    prog = BIN / "dlib_train_mlp"
    if not prog.exists():
        return None
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    best = None
    for bt in range(1, T + 1):
        env_bt = dict(env, **{k: str(bt) for k in THREAD_VARS[:2]})
        runs = [run_json([str(prog), "--batch", str(w.batch)], env_bt, f"{w.name} dlib blas{bt}") for _ in range(repeats)]
        vals = [float(r["samples_per_second"]) for r in runs if r]
        log(f"{w.name} t{T} dlib blas{bt}: {vals}")
        if vals and (best is None or statistics.median(vals) > statistics.median(best[1])):
            best = (bt, vals)
    if best is None:
        return None
    d = statistics.median(best[1])
    cells = [w.title, str(T), f"{summary(best[1])[0]} ({best[0]})"]
    ratios = []
    for key in ("nn", "nn_auto"):
        v = [x for x in nn_values.get(key, []) if x is not None]
        cells.append(summary(v)[0] if v else "n/a")
        ratios.append(fmt_ratio(statistics.median(v) / d) if v else "n/a")
    return cells + ratios


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


def memory_workload(w, impls, a, notes):
    """Peak resident memory of the main job: nn train with run.sh's arguments, and PyTorch's
    equivalent, interleaved over the repeats."""
    nn_args = main_job_args(a.main_epochs, a.main_threads)
    torch_args = ["--epochs", str(a.main_epochs or 15)]
    if a.main_threads:
        torch_args += ["--threads", str(a.main_threads)]
    cols = [i for i in impls if i.available and i.kind != "ort"]
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

