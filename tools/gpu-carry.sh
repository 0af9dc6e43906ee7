#!/usr/bin/env bash
# Assembles build-deps/ (ignored by git) for a GPU machine without Debian's -dev packages, from this Debian
# machine's packages: include/ (fmt, nlohmann, libzip and HDF5 headers; Boost's as boost-headers.tar.xz),
# lib/ (Boost.ProgramOptions, libzip, HDF5 and every library they load, under their sonames; glibc,
# libstdc++ and libgcc_s are the GPU machine's own) and googletest/ (sources). Carry it with the device
# run (with src/, the committed tree); tools/gpu-check.sh configures with -DLATENTLAB_DEPS_DIR and drops the libraries the machine already has.
# Third-party files: they travel with the run and are never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf build-deps
mkdir -p build-deps/include build-deps/lib
cp -r /usr/include/fmt /usr/include/nlohmann /usr/include/zip.h /usr/include/zipconf.h build-deps/include/
cp /usr/include/hdf5/serial/*.h build-deps/include/

# All Boost headers, compressed (162 MB as files, ~10 MB as .tar.xz): gpu-check.sh unpacks them into include/.
tar cf - -C /usr/include boost | xz -T0 -3 > build-deps/boost-headers.tar.xz

libdir=/usr/lib/x86_64-linux-gnu
for library in libboost_program_options.so.1.74.0 libzip.so.4 libhdf5_serial.so.103; do
  cp -L "$libdir/$library" build-deps/lib/
  ldd "$libdir/$library" | awk '$3 ~ /^\// {print $1, $3}' | while read -r soname path; do
    case $soname in
      libc.so.*|libm.so.*|libstdc++.so.*|libgcc_s.so.*|libresolv.so.*|libdl.so.*|libpthread.so.*|librt.so.*) ;;
      *) cp -L "$path" "build-deps/lib/$soname" ;;
    esac
  done
done
cp -r /usr/src/googletest build-deps/googletest

# src/: the committed tree (HEAD), so that the device builds what was committed and not work in progress
# of the working tree; run there as `cd build-deps/src && OUT=$OUT DEPS=.. tools/gpu-check.sh`.
mkdir build-deps/src
git archive HEAD | tar -x -C build-deps/src
git rev-parse HEAD > build-deps/src/.git-commit
du -sh build-deps build-deps/*
