#!/usr/bin/env bash
# nn as a library other projects use, checked the way a user would:
#  1. every installed public header compiles alone (one generated translation unit each, without
#     -fopenmp, -Wall -Wextra -Werror);
#  2. nn installed to temporary prefixes, static (build/release) and shared (build/shared: the
#     library and the command only, no -march, no CUDA, as packaged), then a consumer project
#     (tests/consumer: trains XOR, saves, reloads) built and run against each through
#     find_package(nn) and pkg-config, and from the source tree through add_subdirectory, static
#     and shared;
#  3. the Debian packages from CPack (libnn0, libnn-dev, nn), installed with apt-get, the consumer
#     built against them (find_package and pkg-config) and `nn --version` run; then removed again.
# Idempotent; reuses build/release when test.sh built it, and ccache when present.
# Usage: scripts/package_test.sh [--no-deb]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
deb=1
[ "${1:-}" = "--no-deb" ] && deb=0

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
packages=(build-essential cmake pkg-config dpkg-dev file ccache)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "package_test: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$root
fi
jobs=$(nproc)
step() { echo "== package_test: $*"; }
work=$root/build/package-test
rm -rf "$work"
mkdir -p "$work"

# ---- the two builds ------------------------------------------------------------------------------
step "static library (build/release)"
if [ ! -f build/release/CMakeCache.txt ]; then
  cmake --preset release "${launcher[@]}" >/dev/null
fi
cmake --build build/release -j "$jobs" --target nnlib nn-cli
step "shared library and command (build/shared)"
cmake -S . -B build/shared -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DNN_ARCH=none -DNN_CUDA=OFF \
      -DNN_BUILD_TESTS=OFF -DNN_BUILD_BENCH=OFF -DNN_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX=/usr \
      "${launcher[@]}" >/dev/null
cmake --build build/shared -j "$jobs"
readelf -d build/shared/libnn.so | grep -q "SONAME.*libnn.so.0" || { echo "libnn.so: no SONAME libnn.so.0" >&2; exit 1; }
# Hidden by default: the public API is exported, the kernels' internals are not.
exported=$(nm -DC --defined-only build/shared/libnn.so)
grep -q 'nn::Tensor::Tensor' <<< "$exported" || { echo "package_test: libnn.so does not export nn::Tensor" >&2; exit 1; }
if grep -q 'nn::ops::im2col' <<< "$exported"; then echo "package_test: libnn.so exports nn::ops::im2col" >&2; exit 1; fi
echo "libnn.so exports $(grep -c ' [TWVBDR] ' <<< "$exported") symbols"

# ---- 1. headers, each alone --------------------------------------------------------------------
step "installing to $work/static and $work/shared"
cmake --install build/release --prefix "$work/static" >/dev/null
cmake --install build/shared --prefix "$work/shared" >/dev/null
# The installed command finds the installed libnn.so.0 beside it.
"$work/shared/bin/nn" --version
step "every installed header compiles alone"
mkdir -p "$work/headers"
(cd "$work/shared/include" && find nn -name '*.hpp' | sort) > "$work/headers/list"
while read -r h; do
  printf '#include "%s"\n#include "%s"\n' "$h" "$h" > "$work/headers/$(echo "$h" | tr / _).cpp"
done < "$work/headers/list"
json_include=$(grep -rlE '#include <nlohmann/json.hpp>' "$work/shared/include" || true)
if [ -n "$json_include" ]; then
  echo "package_test: these installed headers include <nlohmann/json.hpp>:" >&2
  echo "$json_include" >&2
  exit 1
fi
ls "$work"/headers/*.cpp | xargs -P "$jobs" -I{} \
  g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I "$work/shared/include" {}
echo "$(wc -l < "$work/headers/list") headers compile alone"

# ---- 2. the consumer, three ways ------------------------------------------------------------------
consumer() {  # name, then cmake arguments
  local name=$1; shift
  step "consumer $name"
  cmake -S tests/consumer -B "$work/consumer-$name" -DCMAKE_BUILD_TYPE=Release "$@" "${launcher[@]}" >/dev/null
  cmake --build "$work/consumer-$name" -j "$jobs" --target nn_consumer >/dev/null
  ctest --test-dir "$work/consumer-$name" --output-on-failure
}
for kind in static shared; do
  consumer "package-$kind" -DNN_CONSUMER_MODE=package -DCMAKE_PREFIX_PATH="$work/$kind"
  pc_static=OFF
  [ "$kind" = static ] && pc_static=ON
  PKG_CONFIG_PATH=$(dirname "$(find "$work/$kind" -name nn.pc)") \
    consumer "pkgconfig-$kind" -DNN_CONSUMER_MODE=pkgconfig -DNN_PKG_STATIC=$pc_static
done
# nn's build folders of the subproject builds sit beside build/shared and build/release, so that
# their compile lines are the same and ccache serves them when those builds went through it.
consumer subdir-static -DNN_CONSUMER_MODE=subdir -DNN_SOURCE_DIR="$root" -DNN_BINARY_DIR="$root/build/subdir-static"
consumer subdir-shared -DNN_CONSUMER_MODE=subdir -DNN_SOURCE_DIR="$root" -DNN_BINARY_DIR="$root/build/subdir-shared" \
         -DBUILD_SHARED_LIBS=ON -DNN_ARCH=none
for kind in static shared; do
  if [ -n "$(find "$root/build/subdir-$kind" -name nn_tests -o -name 'example_*' -o -name 'bench_*' | head -1)" ]; then
    echo "package_test: nn as a subproject built its tests, examples or benchmarks" >&2; exit 1
  fi
done
# Without a build type of its own, the parent keeps none: nn as a subproject forces nothing into its cache.
cmake -S tests/consumer -B "$work/consumer-subdir-nobuildtype" -DNN_CONSUMER_MODE=subdir -DNN_SOURCE_DIR="$root" >/dev/null
grep -q '^CMAKE_BUILD_TYPE:STRING=$' "$work/consumer-subdir-nobuildtype/CMakeCache.txt" ||
  { echo "package_test: nn set the parent's CMAKE_BUILD_TYPE" >&2; exit 1; }

# ---- 3. the Debian packages -------------------------------------------------------------------------
if [ "$deb" = 1 ]; then
  step "Debian packages (cpack -G DEB in build/shared)"
  rm -f build/shared/*.deb
  (cd build/shared && cpack -G DEB >/dev/null)
  for f in build/shared/*.deb; do
    echo "$(basename "$f"): $(stat -c %s "$f") bytes; Depends: $(dpkg-deb -f "$f" Depends)"
    dpkg-deb -c "$f" | awk '{print "  " $6}'
  done
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --reinstall ./build/shared/libnn*.deb ./build/shared/nn_*.deb >/dev/null
  trap '$SUDO apt-get purge -y -q nn libnn-dev libnn0 >/dev/null || true' EXIT
  nn --version
  consumer deb-package -DNN_CONSUMER_MODE=package
  consumer deb-pkgconfig -DNN_CONSUMER_MODE=pkgconfig
fi
step "OK"
