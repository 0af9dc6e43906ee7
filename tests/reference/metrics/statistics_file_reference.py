"""numpy's side of the statistics-file interchange, for tests/unit/stats/statistics_file_test.cpp.

  statistics_file_reference.py check DIR
      Reads DIR/features.npz ("x": float64 features written by latentlab), DIR/fid.npz (latentlab's
      pytorch-fid file) and DIR/moments.npz (latentlab's own file) with np.load, checks keys, dtypes, shapes
      and values against np.mean / np.cov (ddof 1, pytorch-fid's computation), and that the protocol member
      decodes as JSON. Prints the largest relative differences. Then writes DIR/numpy_fid.npz the way
      pytorch-fid's --save-stats does (np.savez_compressed(path, mu=mu, sigma=sigma)) and DIR/adm_ref.npz
      shaped like an ADM reference batch (arr_0 uint8 NHWC, mu, sigma, mu_s, sigma_s).
"""
import json
import sys

import numpy as np


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


mode, d = sys.argv[1], sys.argv[2]
assert mode == "check"
x = np.load(f"{d}/features.npz")["x"]
mu, sigma = np.mean(x, axis=0), np.cov(x, rowvar=False)

fid = np.load(f"{d}/fid.npz")
assert sorted(fid.files) == ["mu", "sigma"], fid.files
assert fid["mu"].dtype == np.float64 and fid["sigma"].dtype == np.float64
assert fid["mu"].shape == mu.shape and fid["sigma"].shape == sigma.shape
print("fid_mu", rel(fid["mu"], mu))
print("fid_sigma", rel(fid["sigma"], sigma))
assert rel(fid["mu"], mu) < 1e-12 and rel(fid["sigma"], sigma) < 1e-12

m = np.load(f"{d}/moments.npz")
assert set(m.files) == {"count", "mean", "m2", "protocol", "mu", "sigma"}, m.files
assert m["count"].dtype == np.int64 and m["count"].shape == () and int(m["count"]) == len(x)
assert m["m2"].dtype == np.float64
protocol = json.loads(bytes(m["protocol"]).decode("utf-8"))
assert protocol["extractor"] == "inception-2015-12-05" and protocol["resize"] == "tf1-bilinear", protocol
print("moments_mean", rel(m["mean"], mu))
print("moments_m2", rel(m["m2"] / (len(x) - 1), sigma))
print("moments_sigma", rel(m["sigma"], sigma))
assert rel(m["mean"], mu) < 1e-12 and rel(m["m2"] / (len(x) - 1), sigma) < 1e-12 and rel(m["sigma"], sigma) < 1e-12

np.savez_compressed(f"{d}/numpy_fid.npz", mu=mu, sigma=sigma)
rng = np.random.RandomState(0)
spatial = rng.randn(50, 6)
np.savez(f"{d}/adm_ref.npz", arr_0=rng.randint(0, 256, size=(3, 8, 8, 3)).astype(np.uint8), mu=mu, sigma=sigma,
         mu_s=spatial.mean(0), sigma_s=np.cov(spatial, rowvar=False))
print("ok")
