#!/usr/bin/env bash
# The Debian packages on a fresh Debian 12: debootstrap a minimal bookworm into a folder, install
# the three packages there with apt-get (which pulls their dependencies from the archive), train
# and inspect a model with the installed `nn`, then build and run the consumer project
# (tests/consumer) against the installed libnn-dev through find_package(nn) and pkg-config.
# Needs root (chroot) and the network (about 300 MB from deb.debian.org); not part of CI, which
# installs the packages on the CI machine itself (scripts/package_test.sh).
#   scripts/deb_fresh_test.sh DIR_WITH_DEBS [ROOTFS]   (ROOTFS default: /tmp/nn-debian12)
set -euo pipefail
debs=$(realpath "$1")
rootfs=${2:-/tmp/nn-debian12}
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "deb_fresh_test: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
fi
mountpoint -q "$rootfs/proc" || mount -t proc proc "$rootfs/proc"
trap 'umount "$rootfs/proc" 2>/dev/null || true' EXIT
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
rm -rf "$rootfs/tmp/nn" && mkdir -p "$rootfs/tmp/nn"
cp "$debs"/libnn0_*.deb "$debs"/libnn-dev_*.deb "$debs"/nn_*.deb "$rootfs/tmp/nn/"
cp -r "$src/tests/consumer" "$rootfs/tmp/nn/consumer"
chroot "$rootfs" /bin/bash -euo pipefail -c '
  export DEBIAN_FRONTEND=noninteractive
  cd /tmp/nn
  apt-get update -q >/dev/null
  apt-get install -y -q ./nn_*.deb ./libnn0_*.deb >/dev/null
  nn --version
  nn train --data moons --model linear:16,relu,linear:2 --epochs 20 --save moons.safetensors 2>&1 | tail -2
  nn info moons.safetensors | head -3
  apt-get install -y -q --no-install-recommends ./libnn-dev_*.deb build-essential cmake pkg-config >/dev/null
  for mode in package pkgconfig; do
    cmake -S consumer -B "build-$mode" -DNN_CONSUMER_MODE=$mode -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "build-$mode" >/dev/null
    ctest --test-dir "build-$mode" --output-on-failure | grep -E "tests passed|Passed|Failed"
  done'
echo "deb_fresh_test: OK"
