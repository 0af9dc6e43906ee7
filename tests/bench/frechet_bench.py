"""Peer of tests/bench/frechet_bench.cpp: the Fréchet distance exactly as pytorch-fid's
calculate_frechet_distance computes it (scipy.linalg.sqrtm of sigma1 @ sigma2, 1e-6 offset retry when the
result is not finite, real part taken), timed on the statistics the C++ side wrote.

Usage: frechet_bench.py STATS.npz [REPEATS=1]
Prints "<seconds of the best run> <distance>" on the last line.
"""
import os
import sys
import time

import numpy as np
from scipy import linalg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import scipy_compat  # noqa: E402


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    # mseitzer/pytorch-fid src/pytorch_fid/fid_score.py (Apache-2.0), without the asserts' messages.
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = mu1 - mu2
    covmean = scipy_compat.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component {}".format(np.max(np.abs(covmean.imag))))
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean


f = np.load(sys.argv[1])
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
mu1, sigma1, mu2, sigma2 = f["mu1"], f["sigma1"], f["mu2"], f["sigma2"]
best, value = float("inf"), None
for _ in range(repeats):
    start = time.perf_counter()
    value = calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    best = min(best, time.perf_counter() - start)
print(f"{best:.6f} {value:.12f}")
