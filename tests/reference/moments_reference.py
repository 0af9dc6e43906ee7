"""Writes float64 features and numpy's mean and covariance of them (np.cov, N - 1), the way pytorch-fid
computes FID statistics, for tests/unit/stats/running_moments_test.cpp.

Usage: moments_reference.py OUT.npz
"""
import sys

import numpy as np

rng = np.random.RandomState(0)
# A large common offset and correlated dimensions: what naive sums of x and x x^T get wrong.
features = rng.randn(3001, 17) @ rng.randn(17, 17) + 1e4 * rng.rand(17)
np.savez(sys.argv[1], features=features, mu=np.mean(features, axis=0), sigma=np.cov(features, rowvar=False))
