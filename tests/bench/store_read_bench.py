"""h5py peer of store_read_bench.cpp: reads the same random batches (written by the C++ side as
int64 count + rows, sorted) from the same store, the same datasets (mean, std, labels, keys), float32 out.
Prints latents/s.

Usage: store_read_bench.py STORE BATCHES
"""
import sys
import time

import h5py
import numpy as np


def main():
    raw = np.fromfile(sys.argv[2], dtype=np.int64)
    batches, i = [], 0
    while i < len(raw):
        n = int(raw[i])
        batches.append(raw[i + 1:i + 1 + n])
        i += 1 + n
    with h5py.File(sys.argv[1], "r") as f:
        mean, std, labels, keys = f["mean"], f["std"], f["labels"], f["keys"]
        mean[batches[0]]  # first touch
        start = time.perf_counter()
        total = 0
        for rows in batches:
            m = mean[rows].astype(np.float32, copy=False)
            s = std[rows].astype(np.float32, copy=False)
            labels[rows], keys[rows]
            total += len(rows)
        elapsed = time.perf_counter() - start
    print(total / elapsed)


if __name__ == "__main__":
    main()
