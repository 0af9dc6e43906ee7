"""Peer of tests/bench/dci_gbt_bench.cpp: disentanglement_lib's DCI with gradient-boosted trees
(evaluation/metrics/dci.py, Apache-2.0, re-typed): one scikit-learn GradientBoostingClassifier() per factor on
the raw codes, |feature_importances_| as the importance matrix, train/test accuracy as informativeness, and the
entropy-based disentanglement and completeness. Timed from the first fit to the last prediction.

Usage: dci_gbt_bench.py DATA.npz  (codes_train/codes_test float64 (N, J), factors_train/factors_test int64 (N, K))
Prints "<seconds> <disentanglement> <completeness> <mean train accuracy> <mean test accuracy>" on the last line.
"""
import sys
import time

import numpy as np
import scipy.stats
from sklearn.ensemble import GradientBoostingClassifier

data = np.load(sys.argv[1])
x_train, x_test = data["codes_train"], data["codes_test"]
y_train, y_test = data["factors_train"], data["factors_test"]
start = time.perf_counter()
num_codes, num_factors = x_train.shape[1], y_train.shape[1]
importance = np.zeros((num_codes, num_factors))
train_acc, test_acc = [], []
for k in range(num_factors):
    model = GradientBoostingClassifier()
    model.fit(x_train, y_train[:, k])
    importance[:, k] = np.abs(model.feature_importances_)
    train_acc.append(np.mean(model.predict(x_train) == y_train[:, k]))
    test_acc.append(np.mean(model.predict(x_test) == y_test[:, k]))
per_code = 1.0 - scipy.stats.entropy(importance.T + 1e-11, base=num_factors)
code_weight = importance.sum(axis=1) / importance.sum()
per_factor = 1.0 - scipy.stats.entropy(importance + 1e-11, base=num_codes)
factor_weight = importance.sum(axis=0) / importance.sum()
seconds = time.perf_counter() - start
print(seconds, np.sum(per_code * code_weight), np.sum(per_factor * factor_weight), np.mean(train_acc),
      np.mean(test_acc))
