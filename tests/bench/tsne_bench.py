"""Peer of tests/bench/tsne_bench.cpp: scikit-learn's TSNE(perplexity=30, n_iter=1000) with its other defaults
(init='pca', Barnes-Hut, angle 0.5, learning_rate='auto'), as LightningDiT's tools/latent_vis.py calls it, timed
from fit_transform's call to its return (neighbours, P, optimisation), then the uniformity Gini of the embedding
(scipy gaussian_kde at the points).

Usage: tsne_bench.py DATA.npz  (x (n, C) float64)
Prints "<seconds> <final KL> <iterations> <Gini>" on the last line.
"""
import sys
import time
import warnings

import numpy as np
from scipy.stats import gaussian_kde
from sklearn.manifold import TSNE

warnings.simplefilter("ignore", FutureWarning)
x = np.load(sys.argv[1])["x"]
start = time.perf_counter()
model = TSNE(n_components=2, perplexity=30, n_iter=1000, random_state=0)
y = model.fit_transform(x)
seconds = time.perf_counter() - start
density = np.sort(gaussian_kde(y.T)(y.T))
n = len(density)
gini = np.sum((2 * np.arange(1, n + 1) - n - 1) * density) / (n * np.sum(density))
print(seconds, model.kl_divergence_, model.n_iter_, gini)
