"""KID as torch-fidelity computes it (torch_fidelity/metric_kid.py: mmd2 with mmd_est='unbiased',
polynomial_kernel, kid_features_to_metric), reimplemented in numpy float64 (torch-fidelity itself runs in
float32), for tests/reference/metrics/kid_reference_test.cpp.

Usage: kid_reference.py OUT.npz
"""
import sys

import numpy as np


def mmd2(k_xx, k_xy, k_yy):
    m = k_xx.shape[0]
    diag_x, diag_y = np.diagonal(k_xx), np.diagonal(k_yy)
    kt_xx_sum = (k_xx.sum(axis=1) - diag_x).sum()
    kt_yy_sum = (k_yy.sum(axis=1) - diag_y).sum()
    k_xy_sum = k_xy.sum(axis=0).sum()
    return (kt_xx_sum + kt_yy_sum) / (m * (m - 1)) - 2 * k_xy_sum / (m * m)


def polynomial_kernel(x, y, degree=3, gamma=None, coef0=1):
    if gamma is None:
        gamma = 1.0 / x.shape[1]
    return (np.matmul(x, y.T) * gamma + coef0) ** degree


def polynomial_mmd(f1, f2, degree=3, gamma=None, coef0=1):
    return mmd2(polynomial_kernel(f1, f1, degree, gamma, coef0), polynomial_kernel(f1, f2, degree, gamma, coef0),
                polynomial_kernel(f2, f2, degree, gamma, coef0))


def kid(f1, f2, subsets, subset_size, seed=2020, **kernel):
    rng = np.random.RandomState(seed)
    mmds = np.zeros(subsets)
    for i in range(subsets):
        a = f1[rng.choice(len(f1), subset_size, replace=False)]
        b = f2[rng.choice(len(f2), subset_size, replace=False)]
        mmds[i] = polynomial_mmd(a, b, **kernel)
    return np.mean(mmds), np.std(mmds), mmds


rng = np.random.RandomState(11)
# ReLU-like non-negative features as pool3 gives, two slightly different distributions.
x = np.maximum(rng.randn(600, 48) + 0.3, 0)
y = np.maximum(rng.randn(450, 48) * 1.1 + 0.35, 0)
out = {"x": x, "y": y}
out["mean"], out["std"], out["values"] = kid(x, y, subsets=20, subset_size=200)
out["mean_other_kernel"], _, _ = kid(x, y, subsets=5, subset_size=100, degree=2, gamma=0.05, coef0=0.5)
out["full_mmd"] = polynomial_mmd(x[:450], y)
np.savez(sys.argv[1], **{k: np.asarray(v) for k, v in out.items()})
