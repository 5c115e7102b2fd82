"""Makes the virtual environment of the Python package's build and tests (standard library only).

Usage: python3 make_venv.py DIR
Creates DIR (a venv) when missing and pip-installs what building and testing the `nn` Python
package needs: nanobind and scikit-build-core (the build), numpy and pytest (the tests). Exit code
0 when DIR's Python imports all of them afterwards, 1 otherwise (offline, no python3-venv), with
the reason on stderr. The release build's CMake configure step runs it (NN_BUILD_PYTHON=AUTO).
"""
import os
import subprocess
import sys

PACKAGES = ["nanobind", "scikit-build-core", "numpy", "pytest"]
MODULES = ["nanobind", "scikit_build_core", "numpy", "pytest"]


def has_all(python):
    code = "import " + ", ".join(MODULES)
    return subprocess.run([python, "-c", code], capture_output=True).returncode == 0


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    venv = os.path.abspath(argv[1])
    python = os.path.join(venv, "bin", "python")
    if os.path.exists(python) and has_all(python):
        return 0
    if not os.path.exists(python):
        r = subprocess.run([sys.executable, "-m", "venv", venv], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"python venv: {sys.executable} -m venv {venv} failed (python3-venv?): {r.stderr.strip()}",
                  file=sys.stderr)
            return 1
    r = subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", *PACKAGES],
                       capture_output=True, text=True)
    if r.returncode != 0 or not has_all(python):
        print(f"python venv: pip install {' '.join(PACKAGES)} into {venv} failed: {(r.stderr or r.stdout).strip()}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
