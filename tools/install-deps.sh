#!/usr/bin/env bash
# Installs what latentlab needs on Debian 12, skipping what is already present (idempotent).
# Usage: tools/install-deps.sh            (uses sudo when not root)
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build make pkg-config git
  # libraries (BUILD.md §1)
  libtorch-dev libopenblas0-openmp libgloo-dev
  libopencv-dev libhdf5-dev libboost-program-options-dev libfmt-dev
  nlohmann-json3-dev libzip-dev zlib1g-dev libgtest-dev libgmock-dev
  # embedded default data
  dataset-fashion-mnist
  # independent Python references used by tests/reference (Debian's python3, not a venv)
  python3 python3-numpy python3-torch python3-scipy python3-sklearn python3-h5py python3-pil
  python3-torchvision
  # headless rendering check of `latentlab report`'s HTML (tests/integration/report_cli_test.cpp)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
