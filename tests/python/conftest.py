"""Shared settings of the Python package's tests: where the nn command and the sources are.

CTest (tests/CMakeLists.txt) runs pytest with PYTHONPATH set to the build's python/ folder (the
package nn built there), NN_CLI (the nn command) and NN_SOURCE_DIR.
"""
import os
import pathlib

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("NN_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def nn_cli():
    cli = os.environ.get("NN_CLI")
    if not cli:
        pytest.skip("NN_CLI is not set (run through ctest)")
    return cli
