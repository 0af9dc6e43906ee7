"""Independent reference for latentlab's gradient-boosted trees and DCI with tree importances: scikit-learn's
GradientBoostingClassifier() with its defaults (the model disentanglement_lib's evaluation/metrics/dci.py fits,
Apache-2.0) and dlib's DCI aggregation re-typed with numpy/scipy, on seeded continuous codes without ties.

Writes OUT.npz with the inputs (codes_train/test float64 (N, J), factors_train/test int64 (N, K); factor 0 has
2 values, factor 1 has 4, factor 2 has 3) and per factor k:
  importance_k (J), decision_train_k (N_train, C or 1), train_accuracy_k, test_accuracy_k, predict_test_k
and dci_importance (J, K), dci_d, dci_c, dci_info_train, dci_info_test (mean accuracies).
Usage: gbt_reference.py OUT.npz
"""
import sys

import numpy as np
import scipy.stats
from sklearn.ensemble import GradientBoostingClassifier


def make_data(rng, n):
    z = rng.normal(size=(n, 5))
    f0 = (z[:, 0] + 0.3 * z[:, 3] > 0.1).astype(np.int64)
    f1 = np.digitize(np.sin(1.5 * z[:, 1]) + 0.2 * z[:, 4], [-0.5, 0.0, 0.5]).astype(np.int64)
    f2 = np.digitize(z[:, 2] * z[:, 0] + 0.1 * rng.normal(size=n), [-0.3, 0.3]).astype(np.int64) + 5
    return z, np.stack([f0, f1, f2], axis=1)



def main(out):
    rng = np.random.RandomState(0)
    z_train, f_train = make_data(rng, 600)
    z_test, f_test = make_data(rng, 300)
    arrays = dict(codes_train=z_train, codes_test=z_test, factors_train=f_train, factors_test=f_test)
    j, k_count = z_train.shape[1], f_train.shape[1]
    r = np.zeros((j, k_count))
    train_acc, test_acc = [], []
    for k in range(k_count):
        model = GradientBoostingClassifier(random_state=0)
        model.fit(z_train, f_train[:, k])
        r[:, k] = np.abs(model.feature_importances_)
        arrays[f"importance_{k}"] = model.feature_importances_
        arrays[f"decision_train_{k}"] = model.decision_function(z_train).reshape(len(z_train), -1)
        arrays[f"predict_test_{k}"] = model.predict(z_test)
        train_acc.append(np.mean(model.predict(z_train) == f_train[:, k]))
        test_acc.append(np.mean(model.predict(z_test) == f_test[:, k]))
        arrays[f"train_accuracy_{k}"] = np.array(train_acc[-1])
        arrays[f"test_accuracy_{k}"] = np.array(test_acc[-1])
    # dlib dci.py: disentanglement weighted by code importance, completeness by factor importance.
    per_code = 1.0 - scipy.stats.entropy(r.T + 1e-11, base=r.shape[1])
    code_weight = r.sum(axis=1) / r.sum()
    per_factor = 1.0 - scipy.stats.entropy(r + 1e-11, base=r.shape[0])
    factor_weight = r.sum(axis=0) / r.sum()
    arrays.update(dci_importance=r, dci_d=np.array(np.sum(per_code * code_weight)),
                  dci_c=np.array(np.sum(per_factor * factor_weight)), dci_info_train=np.array(np.mean(train_acc)),
                  dci_info_test=np.array(np.mean(test_acc)))
    np.savez(out, **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
