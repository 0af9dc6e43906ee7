"""Peer of tests/bench/gmm_bench.cpp: scikit-learn's GaussianMixture(covariance_type="diag", tol 1e-3,
reg_covar 1e-6, max_iter 100) for each K from the same start as latentlab (weights 1/K, the given rows as means,
the data's variance + reg_covar), timed over the whole sweep.

Usage: gmm_bench.py DATA.npz  (x (n, D) float64, components (M) int64, means_K (K, D) for each K)
Prints "<seconds> <sum of iterations> <mean log-likelihood per K, comma separated>" on the last line.
"""
import sys
import time

import numpy as np
from sklearn.mixture import GaussianMixture

data = np.load(sys.argv[1])
x = data["x"]
components = [int(k) for k in data["components"]]
reg = 1e-6
variances = x.var(axis=0) + reg
start = time.perf_counter()
fits = []
for k in components:
    fits.append(GaussianMixture(n_components=k, covariance_type="diag", tol=1e-3, reg_covar=reg, max_iter=100,
                                init_params="random", weights_init=np.full(k, 1.0 / k), means_init=data[f"means_{k}"],
                                precisions_init=np.tile(1.0 / variances, (k, 1)), random_state=0).fit(x))
seconds = time.perf_counter() - start
print(seconds, sum(f.n_iter_ for f in fits), ",".join(repr(f.score(x)) for f in fits))
