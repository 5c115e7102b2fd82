"""nn and PyTorch side by side: the driver behind bench/compare_pytorch.sh.

Every workload runs in these columns, with the same data, model, batch size, optimizer and thread
budget:
  nn (AVX2)             build/release/bin under OPENBLAS_CORETYPE=Haswell: OpenBLAS's AVX2 kernels,
                        which some machines force;
  nn (OpenBLAS auto)    the same binaries under `env -u OPENBLAS_CORETYPE`: OpenBLAS picks its
                        kernels from the CPU (AVX-512 ones on a CPU that has it);
  PyTorch (PyPI)        the current release from PyPI, in bench/.venv;
  PyTorch (Debian)      Debian's python3-torch under /usr/bin/python3; it uses the system OpenBLAS
                        and runs with the environment as it is (OPENBLAS_CORETYPE included);
  onnxruntime (PyPI)    batch inference only (infer-b256): the ONNX file bench/infer_batch exported.
The busy workload (bench/comparison/busy.py) runs nn and PyTorch with a CPU hog on the last core,
one thread against the default; the memory workload measures the main job's peak memory.

Throughput and latency workloads run for each thread budget (--threads, default 1 2). PyTorch gets
its best thread configuration within the budget: torch.set_num_threads x OPENBLAS_NUM_THREADS =
OMP_NUM_THREADS = MKL_NUM_THREADS in {1, 2}^2 (capped at the budget), chosen on one warm-up run of
each configuration (a shorter run: about 16,000 training samples, 150 CNN batches, or a quarter of
the timed steps or calls); nn gets its budget through --threads (one budget for its OpenMP loops
and OpenBLAS) after one such warm-up run. Then the columns are run in turn, REPEATS times, starting with a
different column each round. The table has medians with min-max, and the ratio of nn to the fastest
other column (the faster PyTorch release, or onnxruntime). Only the training (or inference) loop is timed; PyTorch gets the data preloaded as
float32 in [0, 1].

The memory workload runs the README's main job (the arguments run.sh passes to `nn train`, the
report into a temporary folder) and its PyTorch equivalent (bench/torch_main_job.py) and measures
each child's peak resident memory (os.wait4). For the GEMM-heavy MLP workloads it also reports the
GFLOP/s nn reaches, next to the SGEMM rate at the same shapes and threads (bench/sgemm_rate.cpp)
and the FP32 peak of the cores (bench/fma_peak.cpp).

The workloads, running the programs, the extra measurements and the tables live in
bench/comparison/ (workloads.py, runner.py, measures.py, busy.py, tables.py); this file runs them in turn and
prints the report.

python bench/compare.py [--repeats 3] [--only NAME...] [--threads 1 2] [--markdown PATH]
"""
import argparse
import datetime
import os
import shlex
import sys
import time
from pathlib import Path

from comparison.measures import dlib_row, gemm_rates, memory_workload
from comparison.busy import BUSY_HEADERS, BUSY_LEGEND, busy_workload
from comparison.runner import THREAD_VARS, Impl, cpu_model, log, probe_ort, probe_torch, run_json, run_metric
from comparison.tables import gemm_efficiency, gemm_share, markdown_table, result_row, table
from comparison.workloads import BIN, DLIB_WORKLOADS, INFER_DIR, WORKLOADS


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
    ort_version, ort_err = probe_ort(sys.executable, base_env) if any(w.ort for w in workloads) else (None, None)
    impls = [
        Impl("nn", "nn (AVX2)", "nn", env_set={"OPENBLAS_CORETYPE": "Haswell"}),
        Impl("nn_auto", "nn (OpenBLAS auto)", "nn", env_drop=("OPENBLAS_CORETYPE",)),
        Impl("torch", f"PyTorch {pypi['version']} (PyPI)", "torch", python=sys.executable),
        Impl("torch_deb", f"PyTorch {deb['version'] if deb else '1.13'} (Debian)", "torch",
             python=a.debian_python, available=deb is not None),
        Impl("ort", f"onnxruntime {ort_version or ''} (PyPI)".replace("  ", " "), "ort", python=sys.executable,
             available=ort_version is not None),
    ]
    torch_impls = [i for i in impls if i.kind == "torch" and i.available]
    nn_impls = impls[:2]

    blas = {}
    for impl in nn_impls:
        out = run_json([str(BIN / "sgemm_rate"), "--seconds", "0"], impl.env(), "blas probe")
        blas[impl.key] = impl.blas = out["blas"] if out else "?"

    header = [
        f"nn vs PyTorch, {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"{a.repeats} repeat{'s' if a.repeats > 1 else ''}, thread budgets {' '.join(map(str, a.threads))}",
        f"command: {command}",
        f"CPU: {cpu_model()}",
        f"nn BLAS, OPENBLAS_CORETYPE=Haswell (OpenBLAS's AVX2 kernels): {blas['nn']}",
        f"nn BLAS, OpenBLAS auto (env -u OPENBLAS_CORETYPE): {blas['nn_auto']}",
        f"PyTorch (PyPI): {pypi['version']} in {sys.executable}, BLAS {pypi['blas']}"
        + (", MKL" if pypi.get("mkl") else ""),
        (f"PyTorch (Debian python3-torch): {deb['version']} in {a.debian_python}, BLAS {deb['blas']} "
         f"(the system OpenBLAS, {deb['openblas_core'] or '?'} kernels: it runs with the environment as is"
         + (f", OPENBLAS_CORETYPE={coretype})" if coretype else ")"))
        if deb else f"PyTorch (Debian python3-torch): n/a ({deb_err})",
    ]
    if ort_version:
        header.append(f"onnxruntime (PyPI): {ort_version} in {sys.executable}, CPUExecutionProvider")
    elif any(w.ort for w in workloads):
        header.append(f"onnxruntime: n/a ({ort_err})")
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

    rows, gemm_rows, gemm_values, notes, dlib_rows, share_cells = [], [], [], [], [], []
    ratio_read = {True: "> 1: nn faster", False: "< 1: nn faster"}
    busy_rows = []
    for w in workloads:
        if w.name == "memory":
            rows.append(memory_workload(w, impls, a, notes) + [""])
            continue
        if w.name == "busy":
            busy_rows = busy_workload(a.repeats, impls[1], impls[2])
            continue
        if w.prepare:
            INFER_DIR.mkdir(parents=True, exist_ok=True)
            run_json([str(BIN / w.prepare[0])] + w.prepare[1:], base_env, f"{w.name} prepare")
        others = torch_impls + [i for i in impls if i.kind == "ort" and i.available and w.ort]
        for T in (w.budgets or a.threads):
            if T not in a.threads and w.budgets:
                continue
            cfgs = [(tt, bt) for tt in (1, 2) for bt in (1, 2) if tt <= T and bt <= T]
            chosen, cfg_text = {}, []
            for impl in others:
                best = None
                for cfg in cfgs:
                    v, _ = run_metric(impl, w, T, cfg, warm=True)
                    log(f"{w.name} t{T} {impl.key} warm-up set_num_threads={cfg[0]} blas={cfg[1]}: {v}")
                    if v is not None and (best is None or (v > best[0] if w.higher_better else v < best[0])):
                        best = (v, cfg)
                if best:
                    chosen[impl.key] = best[1]
                    name = {"torch_deb": "Debian", "torch": "PyPI"}.get(impl.key, "onnxruntime")
                    cfg_text.append(f"{name} {best[1][0]}/{best[1][1]}")
            for impl in nn_impls:
                v, _ = run_metric(impl, w, T, warm=True)
                log(f"{w.name} t{T} {impl.key} warm-up: {v}")
            cols = nn_impls + [i for i in others if i.key in chosen]
            values = {i.key: [] for i in impls}
            for r in range(a.repeats):
                for impl in cols[r % len(cols):] + cols[: r % len(cols)]:
                    v, _ = run_metric(impl, w, T, chosen.get(impl.key))
                    log(f"{w.name} t{T} run {r + 1}/{a.repeats} {impl.key}: {v}")
                    values[impl.key].append(v)
            rows.append(result_row(w, str(T), impls, values, ratio_read[w.higher_better], ", ".join(cfg_text)) + [""])
            if w.layers and T == 1:
                share_cells.append((len(rows) - 1, w, values))
            if w.name in DLIB_WORKLOADS:
                dlib_rows.append(dlib_row(w, T, a.repeats, values))
            if w.layers:
                gemm_values.append((w, T, values, gemm_rates(w, T, a.repeats, nn_impls)))
    if gemm_workloads:
        measure_peak()
    for w, T, values, rates in gemm_values:
        gemm_rows += gemm_efficiency(w, T, nn_impls, values, rates, peak_per_core, blas)
    for i, w, values in share_cells:
        rows[i][-1] = gemm_share(w, nn_impls, values, peak_per_core)

    title = "nn vs PyTorch"
    headers = ["workload", "unit", "threads"] + [i.label for i in impls] + [
        "nn / other", "nn auto / other", "ratio reads", "threads chosen (torch/BLAS)",
        "GEMM / FMA peak, 1 thread (AVX2; auto)"]
    legend = [
        "Cells: median (min-max) over the repeats. Ratios: median of nn (AVX2) or nn (OpenBLAS auto) over the median",
        "of the fastest other column: the faster PyTorch release, or onnxruntime where it runs (batch inference).",
        "For samples/s higher is better (ratio > 1: nn faster); for us and MiB lower is better (ratio < 1: nn",
        "faster or smaller).",
        "Columns: 'nn (AVX2)' runs under OPENBLAS_CORETYPE=Haswell (the AVX2 kernels that some machines force);",
        "'nn (OpenBLAS auto)' under `env -u OPENBLAS_CORETYPE`, where OpenBLAS picks its kernels from the CPU;",
        f"Debian's PyTorch uses the system OpenBLAS and runs with the environment as is (OPENBLAS_CORETYPE={coretype or 'unset'}).",
        "Threads chosen: the torch.set_num_threads (onnxruntime: intra-op threads) / BLAS and OpenMP threads of each",
        "other column's best configuration within the budget, on one shorter warm-up run each.",
        "GEMM / FMA peak: the MLPs' GEMM flops per training step (as in the GEMM efficiency table) times steps/s at",
        "one thread, over bench/fma_peak's one-core peak of the kernels' instruction set (AVX2 for Haswell; for",
        "OpenBLAS's AVX-512 kernels the better of the AVX-512 and AVX2 peaks).",
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
    dlib_headers = ["workload", "threads", "dlib (OPENBLAS_NUM_THREADS)", "nn", "nn (OpenBLAS auto)", "nn / dlib",
                    "nn auto / dlib"]
    dlib_legend = ("dlib: bench/dlib_train_mlp (Debian's dlib 19.24, the same MLP, loss, SGD momentum 0.9 lr 0.01 and "
                   "batch, data preloaded as float in [0, 1]), built when dlib is installed; its BLAS calls go to the "
                   "system OpenBLAS with the environment as is, OPENBLAS_NUM_THREADS the budget (best of 1..budget).")
    dlib_rows = [r for r in dlib_rows if r]
    if busy_rows:
        text += ["", "Busy machine", table(BUSY_HEADERS, busy_rows), "", *BUSY_LEGEND]
    if dlib_rows:
        text += ["", "nn vs dlib", table(dlib_headers, dlib_rows), "", dlib_legend]
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
        if busy_rows:
            md += ["", "## Busy machine", "", markdown_table(BUSY_HEADERS, busy_rows), "", " ".join(BUSY_LEGEND)]
        if dlib_rows:
            md += ["", "## nn vs dlib", "", markdown_table(dlib_headers, dlib_rows), "", dlib_legend]
        if notes:
            md += ["", *[f"- {n}" for n in notes]]
        md += ["", footer, ""]
        Path(a.markdown).write_text("\n".join(md))
        log(f"wrote {a.markdown}")



if __name__ == "__main__":
    main()
