"""Independent reference for latentlab's logistic probes and classification scores (scikit-learn).

Seeded synthetic features (train 600 x 20, test 300 x 20), 4 classes from Gaussian class means, and 5 binary
attributes from a noisy linear rule. Features are standardised with StandardScaler fitted on train.
Writes OUT.npz with the inputs and:
  mc_sklearn_prob (300, 4), mc_pred, mc_objective    multinomial LogisticRegression(C=0.5, lbfgs, tol 1e-12)
        on standardised data; objective = (sum CE + |W|^2/(2C)) / N_train at sklearn's solution
  mc_prob, mc_coef (20, 4), mc_intercept             sklearn's solution polished to the optimum (see below)
  mc_accuracy, mc_top2, mc_macro_f1, mc_balanced                          sklearn.metrics on mc_prob
  ml_sklearn_prob (300, 5)                           one binary LogisticRegression(C=0.5) per attribute
  ml_prob, ml_coef (20, 5), ml_intercept             the same, polished to the optimum
  (every score below is sklearn.metrics on the polished probabilities)
  ml_f1 (5), ml_ap (5), ml_auc (5), ml_balanced (5), ml_accuracy (5)      at threshold 0.5 on ml_prob
  ml_micro_f1, ml_macro_f1
Usage: probe_reference.py OUT.npz
"""
import sys

import numpy as np
from scipy import optimize
from sklearn import linear_model, metrics, preprocessing

C = 0.5


def refine_multinomial(x, y, coef, intercept, c):
    """sklearn's lbfgs also stops on a relative objective change of 64 eps (scipy ftol), leaving gradients
    of ~1e-7 and coefficients ~1e-5 from the optimum; polish its solution on the same objective with
    L-BFGS-B at gtol 1e-13, ftol 0, so both sides are compared at the true optimum."""
    n, d = x.shape
    k = coef.shape[0]
    onehot = np.eye(k)[y]
    def f(theta):
        w, b = theta[:d * k].reshape(d, k), theta[d * k:]
        z = x @ w + b
        m = z.max(1, keepdims=True)
        logp = z - m - np.log(np.exp(z - m).sum(1, keepdims=True))
        p = np.exp(logp)
        value = (-(logp * onehot).sum() + (w ** 2).sum() / (2 * c)) / n
        gw = (x.T @ (p - onehot) + w / c) / n
        return value, np.concatenate([gw.ravel(), (p - onehot).sum(0) / n])
    theta = optimize.minimize(f, np.concatenate([coef.T.ravel(), intercept]), jac=True, method="L-BFGS-B",
                              options=dict(gtol=1e-13, ftol=0, maxiter=100000, maxcor=30)).x
    return theta[:d * k].reshape(d, k), theta[d * k:]


def refine_binary(x, t, coef, intercept, c):
    n, d = x.shape
    def f(theta):
        w, b = theta[:d], theta[d]
        z = x @ w + b
        value = (np.logaddexp(0, z) - t * z).sum() / n + (w ** 2).sum() / (2 * c * n)
        r = (0.5 * (1 + np.tanh(0.5 * z)) - t) / n
        return value, np.concatenate([x.T @ r + w / (c * n), [r.sum()]])
    theta = optimize.minimize(f, np.concatenate([coef, [intercept]]), jac=True, method="L-BFGS-B",
                              options=dict(gtol=1e-13, ftol=0, maxiter=100000, maxcor=30)).x
    return theta[:d], theta[d]


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def main(out):
    rng = np.random.RandomState(1)
    d, classes = 20, 4
    means = rng.randn(classes, d) * 0.6
    def make(n):
        y = rng.randint(0, classes, size=n)
        x = means[y] + rng.randn(n, d) * np.linspace(0.5, 3.0, d) + 2.0
        return x, y
    x_train, y_train = make(600)
    x_test, y_test = make(300)
    rule = rng.randn(d, 5)
    bias = np.array([-1.5, -0.5, 0.0, 0.7, 2.0])
    def attrs(x):
        return ((x - 2.0) @ rule / np.sqrt(d) + bias + 0.8 * rng.randn(x.shape[0], 5) > 0).astype(np.int64)
    a_train, a_test = attrs(x_train), attrs(x_test)
    res = dict(x_train=x_train, y_train=y_train.astype(np.int64), x_test=x_test, y_test=y_test.astype(np.int64),
               a_train=a_train, a_test=a_test)

    scaler = preprocessing.StandardScaler().fit(x_train)
    s_train, s_test = scaler.transform(x_train), scaler.transform(x_test)
    mc = linear_model.LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(s_train, y_train)
    logp = np.log(mc.predict_proba(s_train))
    objective = (-logp[np.arange(len(y_train)), y_train].sum() + (mc.coef_ ** 2).sum() / (2 * C)) / len(y_train)
    w, b = refine_multinomial(s_train, y_train, mc.coef_, mc.intercept_, C)
    p = softmax(s_test @ w + b)
    res.update(mc_sklearn_prob=mc.predict_proba(s_test), mc_prob=p, mc_pred=mc.predict(s_test).astype(np.int64),
               mc_coef=w, mc_intercept=b, mc_objective=objective,
               mc_accuracy=metrics.accuracy_score(y_test, p.argmax(1)),
               mc_top2=metrics.top_k_accuracy_score(y_test, p, k=2),
               mc_macro_f1=metrics.f1_score(y_test, p.argmax(1), average="macro"),
               mc_balanced=metrics.balanced_accuracy_score(y_test, p.argmax(1)))

    probs, coefs, intercepts, sklearn_probs = [], [], [], []
    for h in range(5):
        clf = linear_model.LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(s_train, a_train[:, h])
        w, b = refine_binary(s_train, a_train[:, h], clf.coef_[0], clf.intercept_[0], C)
        sklearn_probs.append(clf.predict_proba(s_test)[:, 1])
        probs.append(1 / (1 + np.exp(-(s_test @ w + b))))
        coefs.append(w)
        intercepts.append(b)
    ml = np.stack(probs, 1)
    pred = (ml >= 0.5).astype(np.int64)
    res.update(ml_sklearn_prob=np.stack(sklearn_probs, 1), ml_prob=ml, ml_coef=np.stack(coefs, 1), ml_intercept=np.array(intercepts),
               ml_f1=np.array([metrics.f1_score(a_test[:, h], pred[:, h]) for h in range(5)]),
               ml_ap=np.array([metrics.average_precision_score(a_test[:, h], ml[:, h]) for h in range(5)]),
               ml_auc=np.array([metrics.roc_auc_score(a_test[:, h], ml[:, h]) for h in range(5)]),
               ml_balanced=np.array([metrics.balanced_accuracy_score(a_test[:, h], pred[:, h]) for h in range(5)]),
               ml_accuracy=np.array([metrics.accuracy_score(a_test[:, h], pred[:, h]) for h in range(5)]),
               ml_micro_f1=metrics.f1_score(a_test, pred, average="micro"),
               ml_macro_f1=metrics.f1_score(a_test, pred, average="macro"))
    np.savez(out, **{k: np.asarray(v) for k, v in res.items()})


if __name__ == "__main__":
    main(sys.argv[1])
