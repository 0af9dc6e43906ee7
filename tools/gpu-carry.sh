#!/usr/bin/env bash
# Assembles build-deps/ (ignored by git) with the header-only dependencies and GoogleTest sources that a
# GPU machine without Debian's -dev packages lacks, from this Debian machine's packages. Carry it with the
# device run and configure with
#   -DLATENTLAB_HEADERS_DIR=$PWD/build-deps/include -DLATENTLAB_GTEST_SOURCE_DIR=$PWD/build-deps/googletest
# Third-party files: they travel with the run and are never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf build-deps
mkdir -p build-deps/include
cp -r /usr/include/fmt /usr/include/nlohmann build-deps/include/
cp -r /usr/src/googletest build-deps/googletest
du -sh build-deps
