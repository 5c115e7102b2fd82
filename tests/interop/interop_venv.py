"""The Python environment of the PyTorch interoperability scripts.

Debian packages torch (python3-torch) and NumPy but not safetensors, so the scripts run in a venv
made with --system-site-packages (Debian's torch stays visible) into which pip installs safetensors
once. `--venv DIR` on a script's command line creates DIR when needed (with the Python running the
script, which must be the one whose site-packages hold torch: /usr/bin/python3 on Debian) and runs
the script again with DIR's Python. Standard library only: it runs before torch is importable.

Where something is missing the script is skipped (exit code 77), except in CI (CI=true in the
environment), where it fails.
"""
import os
import subprocess
import sys

SAFETENSORS = "safetensors"
# What a script may ask for besides safetensors (enter(argv, packages)): pip name -> module name.
# NumPy stays Debian's (torch 1.13 is built against NumPy 1): pip may not replace it with NumPy 2.
MODULES = {"safetensors": "safetensors", "onnx": "onnx", "onnxruntime": "onnxruntime"}
PIN = ["numpy<2"]


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(message):
    """Skips (77), or fails in CI."""
    if in_ci():
        print(f"{message} (CI=true: failing instead of skipping)", flush=True)
        sys.exit(1)
    print(f"{message}; skipped", flush=True)
    sys.exit(77)


def _has_module(python, module):
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def _ensure_venv(venv, packages=(SAFETENSORS,)):
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print(f"interop venv: creating {venv} (--system-site-packages) with {sys.executable}", flush=True)
        r = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], capture_output=True, text=True)
        if r.returncode != 0:
            unavailable(f"interop venv: python3 -m venv {venv} failed (is python3-venv installed?): {r.stderr.strip()}")
    missing = [p for p in packages if not _has_module(python, MODULES[p])]
    if missing:
        print(f"interop venv: pip install {' '.join(missing)} into {venv}", flush=True)
        r = subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", *missing, *PIN],
                           capture_output=True, text=True)
        if r.returncode != 0 or not all(_has_module(python, MODULES[p]) for p in missing):
            unavailable(f"interop venv: pip install {' '.join(missing)} failed: {(r.stderr or r.stdout).strip()}")
    return python


def enter(argv, packages=(SAFETENSORS,)):
    """Returns argv without `--venv DIR`; when DIR is given and this is not DIR's Python, creates the
    venv if needed (with `packages` pip-installed) and replaces this process with the same script
    run by DIR's Python."""
    if "--venv" not in argv:
        return argv
    i = argv.index("--venv")
    if i + 1 >= len(argv):
        print("--venv needs a folder", file=sys.stderr)
        sys.exit(2)
    venv = os.path.abspath(argv[i + 1])
    rest = argv[:i] + argv[i + 2:]
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return rest
    python = _ensure_venv(venv, packages)
    sys.stdout.flush()
    os.execv(python, [python, os.path.abspath(rest[0]), *rest[1:]])
    return rest  # not reached


def import_torch():
    """(numpy, torch, safetensors.torch), or skip/fail naming what is missing."""
    try:
        import numpy
        import torch
    except ImportError as e:
        unavailable(f"torch and numpy are not importable by {sys.executable} ({e}; Debian: apt-get install python3-torch)")
    try:
        import safetensors.torch
    except ImportError as e:
        unavailable(f"safetensors is not importable by {sys.executable} ({e}; run with --venv DIR)")
    return numpy, torch, safetensors.torch
