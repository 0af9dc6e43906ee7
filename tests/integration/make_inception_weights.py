#!/usr/bin/python3
"""Writes seeded random FID-Inception weights in pytorch-fid's layout (tests/integration/metrics_cli_test.cpp).

Usage: make_inception_weights.py OUT.pth [OUT.safetensors]  (or import it: write_weights(path[, safetensors]))

Reuses the network builder and seeded initialisation of tests/reference/models/inception_fid_reference.py, so
the .pth file equals that script's weights.pth; this one skips its forward passes. The optional safetensors
file holds the same float32 tensors (not the integer num_batches_tracked counters, which the loader skips):
latentlab reads it in a fraction of the time the legacy .pth takes, so most end-to-end tests use it.
Needs python3-torch(vision).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference", "models"))
sys.path.insert(0, os.path.join(HERE, "..", "reference", "diffusion"))
import inception_fid_reference as ref  # noqa: E402
from make_sit_checkpoint import write_safetensors  # noqa: E402


def write_weights(path, safetensors=None):
    net = ref.fid_inception()
    ref.randomize(net)
    state = net.state_dict()
    torch.save(state, path, _use_new_zipfile_serialization=False)
    if safetensors:
        write_safetensors(safetensors, {k: v for k, v in state.items() if v.is_floating_point()}, {})


if __name__ == "__main__":
    write_weights(*sys.argv[1:3])
