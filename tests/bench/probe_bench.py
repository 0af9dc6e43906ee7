"""Peer of tests/bench/probe_bench.cpp: one scikit-learn LogisticRegression (lbfgs, C = 1, default tol 1e-4,
max_iter 1000) per attribute on the standardised features the C++ side wrote, timed over all attributes.

Usage: probe_bench.py DATA.npz
Prints "<seconds> <macro F1 on the test split at 0.5> <mean per-example objective per head>" on the last line.
"""
import sys
import time

import numpy as np
from sklearn import linear_model, metrics

data = np.load(sys.argv[1])
x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
start = time.perf_counter()
models = [linear_model.LogisticRegression(C=1.0, max_iter=1000).fit(x_train, y_train[:, h])
          for h in range(y_train.shape[1])]
seconds = time.perf_counter() - start
f1, objective = [], []
for h, m in enumerate(models):
    f1.append(metrics.f1_score(y_test[:, h], (m.predict_proba(x_test)[:, 1] >= 0.5).astype(int)))
    z = x_train @ m.coef_[0] + m.intercept_[0]
    loss = np.logaddexp(0, z) - y_train[:, h] * z
    objective.append((loss.sum() + 0.5 * (m.coef_ ** 2).sum()) / len(z))
print(seconds, np.mean(f1), np.mean(objective))
