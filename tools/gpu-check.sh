#!/usr/bin/env bash
# The GPU machine's check, as one script (docs/gpu.md): probe the image, build with -DLATENTLAB_CUDA=ON,
# run `latentlab version`, the unit tests, the GPU benchmarks, `latentlab smoke --device cuda` and the other
# tests, and leave the logs under $OUT (default gpu-out/): at most 8 files, as the device tool returns no more.
# Usage on the device: OUT=$OUT [DEPS=build-deps] [LIMIT=seconds] tools/gpu-check.sh, or from the committed
# tree that tools/gpu-carry.sh exports: cd build-deps/src && OUT=$OUT DEPS=.. tools/gpu-check.sh
# With LIMIT, the steps after the build are cut short so that the script ends within LIMIT seconds.
# TARGETS (default "all benches") narrows the build (keep distributed_driver in it for the NCCL lines of the bench
# step); BENCH_FIRST=1 runs the benchmarks before the unit tests; BENCH_CMD replaces the bench step's command list
# (e.g. one benchmark to re-measure after a change). The libraries are built in unity batches of 4 sources
# (session 10: 80 s instead of 242 s on 16 cores), the test binaries too; CMAKE_ARGS adds to or overrides the configure options.
set -uo pipefail
begin=$(date +%s)
OUT=${OUT:-gpu-out}
DEPS=$(realpath "${DEPS:-build-deps}")
mkdir -p "$OUT"
jobs=$(nproc)
python=$(command -v python3)  # the image's python3, which holds the CUDA torch wheel
if ! command -v nvcc > /dev/null; then  # CMake's CUDA language needs nvcc on the PATH
  for dir in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
    if [ -x "$dir/nvcc" ]; then export PATH=$dir:$PATH; break; fi
  done
fi
{
  echo "== probe"; date -u; uname -a; nvidia-smi -L; cmake --version | head -1; which python3 ninja nvcc g++
  g++ --version | head -1; nvcc --version | tail -2
  $python -c 'import torch; print(torch.__version__, torch.version.cuda, torch._C._GLIBCXX_USE_CXX11_ABI, torch.utils.cmake_prefix_path)'
  ls -d /usr/include/{opencv4,hdf5,boost,fmt,nlohmann,gtest} /usr/src/googletest 2>&1
  ldd --version | head -1
} > "$OUT/probe.txt" 2>&1

step() {  # step NAME COMMAND...: runs and logs, records the exit code
  local name=$1; shift
  local start=$(date +%s)
  local limit=()
  if [ "${LIMIT:-0}" -gt 0 ]; then
    local left=$(( begin + LIMIT - 10 - start ))
    # `timeout 0` would mean no limit at all
    if [ "$left" -le 0 ]; then echo "$name: skipped, LIMIT reached" | tee -a "$OUT/summary.txt"; return 1; fi
    limit=(timeout "$left")
  fi
  "${limit[@]}" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "$name: rc=$rc, $(( $(date +%s) - start )) s" | tee -a "$OUT/summary.txt"
  return $rc
}

# Dependencies carried from the CPU machine (tools/gpu-carry.sh), used only where the image lacks them.
extra=()
if [ -d "$DEPS" ]; then
  if [ -f "$DEPS/boost-headers.tar.xz" ] && [ ! -d "$DEPS/include/boost" ]; then
    tar xJf "$DEPS/boost-headers.tar.xz" -C "$DEPS/include"
  fi
  # The machine's own copy of a library it already has wins. (ldconfig's list is read once: `ldconfig -p | grep -q`
  # under pipefail fails at random when grep stops reading early, and that kept Debian's libnettle over Ubuntu's.)
  have=$(ldconfig -p | awk '{print $1}')
  for f in "$DEPS"/lib/*; do
    name=$(basename "$f")
    case $name in  # the three libraries themselves: carried unless the machine has their -dev files
      libboost_program_options.*) ls /usr/lib/*/libboost_program_options.so > /dev/null 2>&1 && rm -f "$f"; continue ;;
      libzip.*) [ -f /usr/include/zip.h ] && rm -f "$f"; continue ;;
      libhdf5_serial.*) [ -f /usr/include/hdf5/serial/hdf5.h ] && rm -f "$f"; continue ;;
    esac
    if grep -qxF "$name" <<< "$have"; then rm -f "$f"; fi
  done
  echo "carried libraries kept: $(ls "$DEPS/lib" | tr '\n' ' ')" >> "$OUT/probe.txt"
  export LD_LIBRARY_PATH=$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  extra+=("-DLATENTLAB_DEPS_DIR=$DEPS" "-DLATENTLAB_GTEST_SOURCE_DIR=$DEPS/googletest")
fi
# The system compiler, whose libstdc++ is the shared one the machine runs: the image's /opt/gcc resolves
# -lstdc++ to a static archive, and its binaries then bound std::filesystem to LibTorch's copies and crashed.
if [ -x /usr/bin/g++ ]; then extra+=("-DCMAKE_CXX_COMPILER=/usr/bin/g++" "-DCMAKE_CUDA_HOST_COMPILER=/usr/bin/g++"); fi
{ echo "CXX=${CXX:-unset}"; for cxx in /opt/gcc/bin/g++ /usr/bin/g++; do
    [ -x $cxx ] && echo "$cxx: $($cxx -dumpversion) libstdc++.so -> $($cxx -print-file-name=libstdc++.so) libstdc++.a -> $($cxx -print-file-name=libstdc++.a)"; done
} >> "$OUT/probe.txt" 2>&1
step configure cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DLATENTLAB_CUDA=ON \
  -DLATENTLAB_UNITY=ON -DLATENTLAB_UNITY_BATCH=4 -DLATENTLAB_UNITY_TESTS_BATCH=4 "-DLATENTLAB_REFERENCE_PYTHON=$python" "${extra[@]}" ${CMAKE_ARGS:-} || exit 1
# -k 0: one run shows every compile error, and whatever did build is still tested.
step build cmake --build build-gpu -j "$jobs" --target ${TARGETS:-all benches} -- -k 0
[ -f build-gpu/bin/unit_io ] && readelf -d build-gpu/bin/unit_io | grep NEEDED | head -3 >> "$OUT/probe.txt"  # libstdc++ first: see Dependencies.cmake
build-gpu/bin/latentlab version >> "$OUT/probe.txt" 2>&1

run_unit() {  # they caught the std::filesystem interposition
  step unit bash -c "cd build-gpu && ctest --output-on-failure -j $jobs --timeout 60 -L unit_"
}
# The distributed driver (built with unit_distributed, with or without Gloo; docs/distributed.md, "GPU"), first in
# the bench step as it is cheap (< 60 s): the NCCL single-GPU path, i.e. one process timed without a process group
# and with an NCCL group of world size 1 (same model and steps, alternating rounds; its all-reduces, buckets and
# hooks are what the difference costs), overlapped and after backward; then whether NCCL accepts two ranks on one
# GPU (it does not: both must stop with one line, no hang). The wheel ships no Gloo headers (docs/gpu.md). Then the
# figures still owed to open issues: SiT-B/2 training and image sampling (#8), then the VAE step at 256² (#7).
dist="timeout 60 build-gpu/bin/distributed_driver bench --width 2048 --depth 8 --batch 256"
run_bench() {
  if [ -n "${BENCH_CMD:-}" ]; then step bench bash -c "set -x; $BENCH_CMD"; return; fi
  step bench bash -c "set -x; export MASTER_ADDR=127.0.0.1;
    MASTER_PORT=29512 $dist --steps 50 --backend nccl --force-group on --rounds 5 --sync overlap;
    MASTER_PORT=29513 $dist --steps 50 --backend nccl --force-group on --rounds 3 --sync after;
    for r in 0 1; do RANK=\$r LOCAL_RANK=0 WORLD_SIZE=2 MASTER_PORT=29514 $dist --steps 30 --backend nccl --timeout 20 & done; wait;
    timeout 150 build-gpu/bin/bench_sit_train_step SiT-B/2 32 5 $jobs SiT-B/2 64 50 cuda;
    timeout 150 build-gpu/bin/bench_sample_images SiT-B/2 f8d4 32 250 $jobs SiT-tiny/1 tiny-f4d4 64 50 cuda;
    timeout 150 build-gpu/bin/bench_vae_train_step f16d32 256 8 5 $jobs cuda;
    timeout 150 build-gpu/bin/bench_inception_fid 1024 $jobs 128 cuda;
    timeout 150 build-gpu/bin/bench_autoencoder_kl f8d4 256 32 10 $jobs cuda;
    timeout 150 build-gpu/bin/bench_autoencoder_kl f16d32 256 32 10 $jobs cuda;
    timeout 150 build-gpu/bin/bench_vae_train_step f8d4 256 8 5 $jobs cuda;
    timeout 150 build-gpu/bin/bench_sit_train_step SiT-XL/2 16 5 $jobs SiT-XL/2 32 50 cuda;
    timeout 150 build-gpu/bin/bench_frechet 2048 3 1 $jobs"
}
if [ "${BENCH_FIRST:-0}" = 1 ]; then run_bench; run_unit; else run_unit; run_bench; fi
step smoke build-gpu/bin/latentlab smoke --device cuda --steps 200 --out /tmp/latentlab-smoke
step tests bash -c "cd build-gpu && ctest --output-on-failure -j $jobs --timeout 120 -LE unit_"
cat "$OUT/summary.txt"
