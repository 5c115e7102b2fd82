"""Running bench/compare.py's programs: a column's command and environment (Impl), one run's JSON
metric, a child's peak resident memory, the main job's arguments from run.sh, and probes of
PyTorch and the CPU."""
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

from .workloads import BENCH, BIN, ROOT

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GOTO_NUM_THREADS")
RUN_TIMEOUT = 1800


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

    def __init__(self, key, label, kind, python=None, env_drop=(), available=True, note="", env_set=None):
        self.key, self.label, self.kind, self.python = key, label, kind, python
        self.env_drop, self.available, self.note = env_drop, available, note
        self.env_set = env_set or {}

    def env(self, blas_threads=None):
        env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS and k not in self.env_drop}
        env.update(self.env_set)
        if blas_threads is not None:
            for k in THREAD_VARS[:3]:
                env[k] = str(blas_threads)
        return env

    def command(self, w, threads, torch_threads=None, warm=False):
        extra = w.warm if warm else []
        if self.kind == "nn":
            return [str(BIN / w.nn[0])] + w.nn[1:] + extra + ["--threads", str(threads)]
        script = w.ort if self.kind == "ort" else w.torch
        return [self.python, str(BENCH / script[0])] + script[1:] + extra + ["--threads", str(torch_threads)]


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


def probe_ort(python, env):
    """(onnxruntime's version, None) in `python`, or (None, why not)."""
    try:
        p = subprocess.run([python, "-c", "import onnxruntime; print(onnxruntime.__version__)"], env=env,
                           capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"
    return p.stdout.strip(), None


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

