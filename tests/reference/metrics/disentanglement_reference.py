"""Independent reference for latentlab's disentanglement scores: the formulas of
google-research/disentanglement_lib (evaluation/metrics/{utils,mig,sap_score,modularity_explicitness,dci}.py,
Apache-2.0) re-typed with numpy and scikit-learn, on seeded synthetic codes.

Writes OUT.npz with the inputs (codes_train/test float64 (N, J), factors_train/test int64 (N, K)) and the
reference outputs:
  mi (J, K), entropy (K), mig                      discretised MIG, 20 bins (dlib _compute_mig)
  modularity, explicitness_train/test              dlib modularity + explicitness; explicitness uses today's
                                                   LogisticRegression() defaults (lbfgs, multinomial, C=1)
                                                   run to convergence (tol 1e-12) on dlib-normalised codes
  sap_discrete_matrix (J, K), sap_discrete         LinearSVC(C=0.01, class_weight="balanced"), converged
  sap_continuous_matrix (J, K), sap_continuous     squared correlation branch
  dci_importance (J, K), dci_d, dci_c, dci_nrmse_train/test
                                                   DCI aggregation of dlib on |Lasso(alpha=0.02)| importances
                                                   (codes and factor ids standardised with training mean/std,
                                                   latentlab's documented Lasso variant), converged (tol 1e-12)
Usage: disentanglement_reference.py OUT.npz
"""
import sys
import warnings

import numpy as np
import scipy.stats
from sklearn import linear_model, metrics, preprocessing, svm


def histogram_discretize(target, num_bins=20):
    discretized = np.zeros_like(target)
    for i in range(target.shape[0]):
        discretized[i, :] = np.digitize(target[i, :], np.histogram(target[i, :], num_bins)[1][:-1])
    return discretized


def discrete_mutual_info(mus, ys):
    m = np.zeros([mus.shape[0], ys.shape[0]])
    for i in range(mus.shape[0]):
        for j in range(ys.shape[0]):
            m[i, j] = metrics.mutual_info_score(ys[j, :], mus[i, :])
    return m


def discrete_entropy(ys):
    h = np.zeros(ys.shape[0])
    for j in range(ys.shape[0]):
        h[j] = metrics.mutual_info_score(ys[j, :], ys[j, :])
    return h


def normalize_data(data, mean=None, stddev=None):
    if mean is None:
        mean = np.mean(data, axis=1)
    if stddev is None:
        stddev = np.std(data, axis=1)
    return (data - mean[:, np.newaxis]) / stddev[:, np.newaxis], mean, stddev


def modularity(mutual_information):
    squared_mi = np.square(mutual_information)
    max_squared_mi = np.max(squared_mi, axis=1)
    numerator = np.sum(squared_mi, axis=1) - max_squared_mi
    denominator = max_squared_mi * (squared_mi.shape[1] - 1.)
    delta = numerator / denominator
    modularity_score = 1. - delta
    modularity_score[max_squared_mi == 0.] = 0.
    return np.mean(modularity_score)


def explicitness_per_factor(mus_train, y_train, mus_test, y_test):
    x_train, x_test = np.transpose(mus_train), np.transpose(mus_test)
    clf = linear_model.LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(x_train, y_train)
    mlb = preprocessing.MultiLabelBinarizer()
    roc_train = metrics.roc_auc_score(mlb.fit_transform(np.expand_dims(y_train, 1)), clf.predict_proba(x_train))
    roc_test = metrics.roc_auc_score(mlb.fit_transform(np.expand_dims(y_test, 1)), clf.predict_proba(x_test))
    return roc_train, roc_test


def sap_matrix(mus, ys, mus_test, ys_test, continuous):
    num_latents, num_factors = mus.shape[0], ys.shape[0]
    score_matrix = np.zeros([num_latents, num_factors])
    for i in range(num_latents):
        for j in range(num_factors):
            mu_i, y_j = mus[i, :], ys[j, :]
            if continuous:
                cov = np.cov(mu_i, y_j, ddof=1)
                if cov[0, 0] > 1e-12:
                    score_matrix[i, j] = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1])
            else:
                clf = svm.LinearSVC(C=0.01, class_weight="balanced", tol=1e-7, max_iter=20000)
                clf.fit(mu_i[:, np.newaxis], y_j)
                pred = clf.predict(mus_test[i, :][:, np.newaxis])
                score_matrix[i, j] = np.mean(pred == ys_test[j, :])
    return score_matrix


def avg_diff_top_two(matrix):
    sorted_matrix = np.sort(matrix, axis=0)
    return np.mean(sorted_matrix[-1, :] - sorted_matrix[-2, :])


def dci_disentanglement(importance_matrix):
    per_code = 1. - scipy.stats.entropy(importance_matrix.T + 1e-11, base=importance_matrix.shape[1])
    if importance_matrix.sum() == 0.:
        importance_matrix = np.ones_like(importance_matrix)
    code_importance = importance_matrix.sum(axis=1) / importance_matrix.sum()
    return np.sum(per_code * code_importance)


def dci_completeness(importance_matrix):
    per_factor = 1. - scipy.stats.entropy(importance_matrix + 1e-11, base=importance_matrix.shape[0])
    if importance_matrix.sum() == 0.:
        importance_matrix = np.ones_like(importance_matrix)
    factor_importance = importance_matrix.sum(axis=0) / importance_matrix.sum()
    return np.sum(per_factor * factor_importance)


def main(out):
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    sizes = [3, 6, 10, 40]
    n_train, n_test = 2000, 1000
    n = n_train + n_test
    factors = np.stack([rng.randint(0, s, size=n) for s in sizes], axis=1).astype(np.int64)
    f = factors / np.array(sizes, dtype=np.float64)
    codes = np.stack([
        f[:, 0] + 0.05 * rng.randn(n),
        0.7 * f[:, 1] + 0.3 * f[:, 2] + 0.05 * rng.randn(n),
        f[:, 3] + 0.02 * rng.randn(n),
        f[:, 3] ** 2 + 0.1 * rng.randn(n),
        rng.randn(n),
        np.sin(3 * f[:, 2]) + 0.1 * rng.randn(n),
    ], axis=1)
    codes_train, codes_test = codes[:n_train], codes[n_train:]
    factors_train, factors_test = factors[:n_train], factors[n_train:]
    mus, ys = codes_train.T, factors_train.T
    mus_test, ys_test = codes_test.T, factors_test.T
    res = dict(codes_train=codes_train, codes_test=codes_test, factors_train=factors_train,
               factors_test=factors_test)

    # MIG
    m = discrete_mutual_info(histogram_discretize(mus), ys)
    entropy = discrete_entropy(ys)
    sorted_m = np.sort(m, axis=0)[::-1]
    res.update(mi=m, entropy=entropy, mig=np.mean((sorted_m[0, :] - sorted_m[1, :]) / entropy))

    # modularity and explicitness
    res["modularity"] = modularity(m)
    mus_train_norm, mean_mus, stddev_mus = normalize_data(mus)
    mus_test_norm, _, _ = normalize_data(mus_test, mean_mus, stddev_mus)
    tr, te = zip(*[explicitness_per_factor(mus_train_norm, ys[i], mus_test_norm, ys_test[i])
                   for i in range(ys.shape[0])])
    res.update(explicitness_train=np.mean(tr), explicitness_test=np.mean(te))

    # SAP
    for name, continuous in (("discrete", False), ("continuous", True)):
        sm = sap_matrix(mus, ys, mus_test, ys_test, continuous)
        res["sap_%s_matrix" % name] = sm
        res["sap_%s" % name] = avg_diff_top_two(sm)

    # DCI with Lasso importances
    scaler = preprocessing.StandardScaler().fit(codes_train)
    x_train, x_test = scaler.transform(codes_train), scaler.transform(codes_test)
    importance = np.zeros((codes.shape[1], len(sizes)))
    nrmse_train, nrmse_test = [], []
    for k in range(len(sizes)):
        classes = np.unique(factors_train[:, k])
        y_tr = np.searchsorted(classes, factors_train[:, k]).astype(np.float64)
        y_te = np.searchsorted(classes, factors_test[:, k]).astype(np.float64)
        mean, sd = y_tr.mean(), y_tr.std()
        y_tr, y_te = (y_tr - mean) / sd, (y_te - mean) / sd
        lasso = linear_model.Lasso(alpha=0.02, tol=1e-12, max_iter=1000000).fit(x_train, y_tr)
        importance[:, k] = np.abs(lasso.coef_)
        nrmse_train.append(np.sqrt(np.mean((lasso.predict(x_train) - y_tr) ** 2)))
        nrmse_test.append(np.sqrt(np.mean((lasso.predict(x_test) - y_te) ** 2)))
    res.update(dci_importance=importance, dci_d=dci_disentanglement(importance),
               dci_c=dci_completeness(importance), dci_nrmse_train=np.mean(nrmse_train),
               dci_nrmse_test=np.mean(nrmse_test))
    np.savez(out, **{k: np.asarray(v) for k, v in res.items()})


if __name__ == "__main__":
    main(sys.argv[1])
