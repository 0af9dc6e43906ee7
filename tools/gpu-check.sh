#!/usr/bin/env bash
# The GPU machine's check, as one script (docs/gpu.md): probe the image, build with -DLATENTLAB_CUDA=ON,
# run `latentlab version` and the test suite, and leave every log under $OUT (default gpu-out/).
# Usage on the device: OUT=$OUT tools/gpu-check.sh
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
jobs=$(nproc)
{
  echo "== probe"; date -u; uname -a; nvidia-smi -L; cmake --version | head -1; which python3 ninja
  python3 -c 'import torch; print(torch.__version__, torch.version.cuda, torch._C._GLIBCXX_USE_CXX11_ABI, torch.utils.cmake_prefix_path)'
  ls -d /usr/include/{opencv4,hdf5,boost,fmt,nlohmann,gtest} /usr/src/googletest 2>&1
  ldd --version | head -1
} > "$OUT/probe.txt" 2>&1

step() {  # step NAME COMMAND...: runs and logs, records the exit code
  local name=$1; shift
  local start=$(date +%s)
  "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "$name: rc=$rc, $(( $(date +%s) - start )) s" | tee -a "$OUT/summary.txt"
  return $rc
}

# Headers and GoogleTest sources carried from the CPU machine (tools/gpu-carry.sh), used only where the
# image lacks the packages.
extra=()
if [ -d build-deps ]; then
  extra+=("-DLATENTLAB_HEADERS_DIR=$PWD/build-deps/include" "-DLATENTLAB_GTEST_SOURCE_DIR=$PWD/build-deps/googletest")
fi
step configure cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DLATENTLAB_CUDA=ON "${extra[@]}" ${CMAKE_ARGS:-} || exit 1
step build cmake --build build-gpu -j "$jobs" || exit 1
step version build-gpu/bin/latentlab version
step tests bash -c "cd build-gpu && ctest --output-on-failure -j $jobs"
step smoke build-gpu/bin/latentlab smoke --device cuda --steps 200 --out "$OUT/smoke"
cat "$OUT/summary.txt"
