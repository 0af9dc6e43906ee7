"""The FID oracle of pytorch-fid/ADM on a grid of Gaussian features (METRICS.md §15): for N in 2^1..2^11
samples and C in 2^1..2^7 dimensions (seed 2023), two feature sets, their np.mean/np.cov statistics and
the Fréchet distance computed with scipy.linalg.sqrtm exactly as pytorch-fid does (1e-6 offset retry when
the product is singular, real part taken). Writes OUT.npz with keys mu1_N_C, sigma1_N_C, mu2_N_C,
sigma2_N_C, fid_N_C and, where N <= C (rank-deficient covariances, where sqrtm of the singular product
loses digits), lowrank_N_C: the same distance through the exact low-rank identity
tr (S1 S2)^(1/2) = sum sqrt(eig(M M^T)), M = A^T B, S1 = A A^T, S2 = B B^T (arXiv 2009.14075), which only
needs an N x N symmetric eigensolve.

Usage: frechet_reference.py OUT.npz
"""
import sys

import numpy as np
from scipy import linalg

import scipy_compat


def pytorch_fid_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean = scipy_compat.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


rng = np.random.RandomState(2023)
out = {}
for log_n in range(1, 12):
    for log_c in range(1, 8):
        n, c = 2 ** log_n, 2 ** log_c
        x = rng.randn(n, c)
        y = rng.randn(n, c) * 1.5 + 0.3
        stats = []
        for f in (x, y):
            mu = f.mean(axis=0)
            sigma = np.atleast_2d(np.cov(f, rowvar=False)) if n > 1 else np.zeros((c, c))
            stats.append((mu, sigma))
        key = f"{n}_{c}"
        out["mu1_" + key], out["sigma1_" + key] = stats[0]
        out["mu2_" + key], out["sigma2_" + key] = stats[1]
        out["fid_" + key] = np.array(pytorch_fid_distance(*stats[0], *stats[1]))
        if n <= c:
            a = (x - stats[0][0]).T / np.sqrt(n - 1)
            b = (y - stats[1][0]).T / np.sqrt(n - 1)
            m = a.T @ b
            trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(m @ m.T), 0, None)).sum()
            diff = stats[0][0] - stats[1][0]
            out["lowrank_" + key] = np.array(
                diff.dot(diff) + np.trace(stats[0][1]) + np.trace(stats[1][1]) - 2 * trace_sqrt)
np.savez(sys.argv[1], **out)
