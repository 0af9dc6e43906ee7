"""An independent h5py implementation of the latent store schema (docs/latent-store.md), for
tests/reference/store/store_reference_test.cpp and tests/integration/store_cli_test.cpp.

Usage:
  store_reference.py read STORE OUT.json
      Dumps what h5py sees in a store written by latentlab: every root attribute, and every dataset's
      dtype, shape, attributes and values (flattened, C order).
  store_reference.py write OUT.h5 --rows N [--shard i/n] [--dtype float16|float32] [--flip] [--seed S]
                           [--vae-sha256 HEX]
      Writes a complete store with h5py and numpy only: seeded latents for dataset positions 0..N-1 (shard
      i/n keeps positions i, i+n, ...), labels, two attributes, string keys, and the per-channel statistics
      computed in float64 the way the schema defines them.
"""
import argparse
import json
import sys

import h5py
import numpy as np


def plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()] if value.dtype.kind in "SO" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def read(path, out):
    with h5py.File(path, "r") as f:
        doc = {"attributes": {k: plain(v) for k, v in f.attrs.items()}, "datasets": {}}
        for name, dataset in f.items():
            values = dataset[()]
            if values.dtype.kind == "S":
                flat = [v.rstrip(b"\0").decode() for v in values.ravel()]
            else:
                flat = values.astype(np.float64 if values.dtype.kind == "f" else np.int64).ravel().tolist()
            doc["datasets"][name] = {
                "dtype": str(dataset.dtype),
                "shape": list(dataset.shape),
                "attributes": {k: plain(v) for k, v in dataset.attrs.items()},
                "contiguous": dataset.chunks is None and dataset.compression is None,
                "values": flat,
            }
    with open(out, "w") as f:
        json.dump(doc, f)


def statistics(mean, std):
    """Per channel over rows x h x w, in float64: count, mean and M2 of the mean, and of std^2."""
    c = mean.shape[1]
    m = mean.astype(np.float64).transpose(1, 0, 2, 3).reshape(c, -1)
    v = (std.astype(np.float64) ** 2).transpose(1, 0, 2, 3).reshape(c, -1)
    count = m.shape[1]
    out = {
        "stats_count": np.int64(count),
        "stats_mean_mean": m.mean(axis=1),
        "stats_mean_m2": ((m - m.mean(axis=1, keepdims=True)) ** 2).sum(axis=1),
        "stats_var_mean": v.mean(axis=1),
        "stats_var_m2": ((v - v.mean(axis=1, keepdims=True)) ** 2).sum(axis=1),
    }
    out["channel_mean"] = out["stats_mean_mean"]
    out["channel_std"] = np.sqrt(out["stats_mean_m2"] / (count - 1) + out["stats_var_mean"])
    return out


def write(args):
    index, count = (int(x) for x in args.shard.split("/"))
    rng = np.random.RandomState(args.seed)
    shape = (args.rows, 4, 3, 5)
    dtype = np.float16 if args.dtype == "float16" else np.float32
    arrays = {
        "mean": (rng.randn(*shape) + np.arange(4).reshape(1, 4, 1, 1)).astype(dtype),
        "std": (0.05 + 0.4 * rng.rand(*shape)).astype(dtype),
    }
    if args.flip:
        arrays["mean_flip"] = rng.randn(*shape).astype(dtype)
        arrays["std_flip"] = (0.05 + 0.4 * rng.rand(*shape)).astype(dtype)
    positions = np.arange(args.rows)
    arrays["labels"] = (positions % 10).astype(np.int64)
    arrays["attributes"] = np.stack([(positions * 7 + j) % 5 for j in range(2)], axis=1).astype(np.int32)
    arrays["keys"] = np.array([("img%06d.png" % p).encode() for p in positions], dtype="S32")
    arrays = {k: v[index::count] for k, v in arrays.items()}
    rows = len(arrays["labels"])
    with h5py.File(args.out, "w") as f:
        attrs = {
            "format": "latentlab-latent-store",
            "schema_version": np.int64(1),
            "vae_sha256": args.vae_sha256,
            "vae_config": json.dumps({"preset": "h5py-reference"}),
            "dataset_fingerprint": "reference:seed=%d,n=%d" % (args.seed, args.rows),
            "preprocessing": "none",
            "shard_index": np.int64(index),
            "shard_count": np.int64(count),
            "latent_dtype": args.dtype,
            "flip": np.int64(args.flip),
            "key_width": np.int64(32),
            "rows": np.int64(rows),
            "rows_written": np.int64(rows),
            "complete": np.int64(1),
            "tool_version": "h5py-reference",
            "creation_time": "2026-01-01T00:00:00Z",
        }
        attrs.update(statistics(arrays["mean"], arrays["std"]))
        for k, v in attrs.items():
            f.attrs[k] = v
        for name in ["mean", "std", "mean_flip", "std_flip", "labels", "attributes", "keys"]:
            if name in arrays:
                f.create_dataset(name, data=arrays[name])
        f["attributes"].attrs["names"] = ["size", "colour"]


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3])
        return
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["write"])
    p.add_argument("out")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--shard", default="0/1")
    p.add_argument("--dtype", default="float16")
    p.add_argument("--flip", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vae-sha256", default="ab" * 32)
    write(p.parse_args())


if __name__ == "__main__":
    main()
