#!/usr/bin/env python3
"""Independent reference for datasets/readers/idx_reader: reads an IDX split with gzip + numpy only.

Usage: idx_reference.py PREFIX
Prints "size N", "shape R C", "labels L0 ... L9" (the first ten), "sum S" (all pixels) and
"weighted W" (sum of pixel * (flat index mod 997), flat index over the whole N x R x C array)."""
import gzip
import os
import sys

import numpy as np


def read(prefix, kind):
    path = f"{prefix}-{kind}"
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    with gzip.open(path + ".gz", "rb") as f:
        return f.read()


def main():
    prefix = sys.argv[1]
    images = read(prefix, "images-idx3-ubyte")
    labels = read(prefix, "labels-idx1-ubyte")
    assert int.from_bytes(images[:4], "big") == 0x803 and int.from_bytes(labels[:4], "big") == 0x801
    n, rows, cols = (int.from_bytes(images[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    pixels = np.frombuffer(images, dtype=np.uint8, offset=16).astype(np.int64)
    assert pixels.size == n * rows * cols
    label_values = np.frombuffer(labels, dtype=np.uint8, offset=8)
    weights = np.arange(pixels.size, dtype=np.int64) % 997
    print("size", n)
    print("shape", rows, cols)
    print("labels", " ".join(str(int(v)) for v in label_values[:10]))
    print("sum", int(pixels.sum()))
    print("weighted", int((pixels * weights).sum()))


if __name__ == "__main__":
    main()
