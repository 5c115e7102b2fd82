#!/usr/bin/env bash
# Builds nn twice (release, and with AddressSanitizer + UndefinedBehaviorSanitizer) and runs every
# test in both builds. Installs the Debian packages it needs first.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh release asan
ctest --preset release
ctest --preset asan
