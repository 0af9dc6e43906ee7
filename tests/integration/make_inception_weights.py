#!/usr/bin/python3
"""Writes seeded random FID-Inception weights in pytorch-fid's layout (tests/integration/metrics_cli_test.cpp).

Usage: make_inception_weights.py OUT.pth  (or import it: write_weights(path))

Reuses the network builder and seeded initialisation of tests/reference/models/inception_fid_reference.py, so
the file equals that script's weights.pth; this one skips its forward passes. Needs python3-torch(vision).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "models"))
import inception_fid_reference as ref  # noqa: E402


def write_weights(path):
    net = ref.fid_inception()
    ref.randomize(net)
    torch.save(net.state_dict(), path, _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    write_weights(sys.argv[1])
