#!/usr/bin/env bash
# Sets accel up on a fresh Debian 12 machine: installs the system packages it
# needs (idempotent; only what is missing), then configures and builds it with
# CMake + Ninja against Debian's LLVM/MLIR 19.
#
#   utils/setup.sh              # build in ./build
#   ACCEL_BUILD_DIR=/tmp/b utils/setup.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ACCEL_BUILD_DIR:-$ROOT/build}"
BUILD_TYPE="${ACCEL_BUILD_TYPE:-Release}"

PACKAGES=(
  cmake ninja-build g++
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  pybind11-dev python3-dev python3-numpy python3-onnx python3-pytest
  python3-torch
  libgtest-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} system packages present"
fi

cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
cmake --build "$BUILD"
echo "setup: built accel in $BUILD"
