#!/usr/bin/python3
"""Writes the inputs of the metrics end-to-end tests (tests/integration/metrics_cli_test.cpp) into OUT_DIR.

Usage: make_metrics_inputs.py OUT_DIR LATENTLAB_BINARY

  inception.safetensors  seeded random FID-Inception weights (tests/integration/make_inception_weights.py,
                         ~96 MB): what the tests pass to --extractor-weights (memory-mapped, no parsing)
  inception.pth          the same tensors in the legacy torch.save format of the published file (~1-3
                         CPU-s more a process): for the one end-to-end test of that path and the Python references
  a/, b/                 IMAGES shapes images each at 32 x 32 (`latentlab datasets make shapes`, seeds 1, 2)
  a.npz                  the statistics file of a made with inception.safetensors (`latentlab stats make`, one
                         thread like the tests' commands, so that its features equal theirs bit for bit)

CTest runs this once per run, as the fixture `metrics_inputs` of the end-to-end tests (tests/CMakeLists.txt),
instead of once in each test process; a test started by hand runs it into a scratch folder. OUT_DIR is
emptied first: every run makes fresh inputs with the binary under test.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from make_inception_weights import write_weights  # noqa: E402

IMAGES = 10  # kImages of metrics_cli_test.cpp: > 5 for density/coverage's k = 5


def run(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"make_metrics_inputs.py: {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_metrics_inputs.py OUT_DIR LATENTLAB_BINARY")
    out, latentlab = sys.argv[1], sys.argv[2]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    weights = os.path.join(out, "inception.safetensors")
    write_weights(os.path.join(out, "inception.pth"), weights)
    for name, seed in (("a", 1), ("b", 2)):
        run(latentlab, "datasets", "make", "shapes", "--quiet", "--n", str(IMAGES), "--res", "32", "--seed",
            str(seed), "--out", os.path.join(out, name))
    run(latentlab, "stats", "make", os.path.join(out, "a"), "--out", os.path.join(out, "a.npz"),
        "--extractor-weights", weights, "--quiet", "--threads", "1")


if __name__ == "__main__":
    main()
