"""Compares two latent stores with h5py: every dataset bit for bit and every root attribute except the
creation time (with --rows: the datasets only). Prints 'equal' or the first difference.
Usage: compare_stores.py [--rows] A.h5 B.h5"""
import sys

import h5py
import numpy as np


def main(a_path, b_path, rows_only=False):
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        if sorted(a.keys()) != sorted(b.keys()):
            return f"datasets differ: {sorted(a.keys())} vs {sorted(b.keys())}"
        for name in a.keys():
            x, y = a[name][()], b[name][()]
            if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                return f"dataset {name} differs"
        if rows_only:
            return "equal"
        for key in sorted(set(a.attrs.keys()) | set(b.attrs.keys())):
            if "creat" in key:
                continue
            if key not in a.attrs or key not in b.attrs:
                return f"attribute {key} missing in one store"
            if not np.array_equal(np.asarray(a.attrs[key]), np.asarray(b.attrs[key])):
                return f"attribute {key} differs"
    return "equal"


if __name__ == "__main__":
    rows_only = sys.argv[1] == "--rows"
    paths = sys.argv[2:] if rows_only else sys.argv[1:]
    print(main(paths[0], paths[1], rows_only))
