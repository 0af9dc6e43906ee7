"""Inception Score and numpy's legacy RandomState draws, for tests/reference/metrics/
inception_score_reference_test.cpp. Independent numpy/scipy reimplementations of
  - torch-fidelity isc_features_to_metric (torch_fidelity/metric_isc.py): shuffle with
    RandomState(2020).permutation(N), 10 splits of rows [k N // S, (k + 1) N // S), float64 softmax and
    log-softmax, mean and population std of exp(mean KL);
  - ADM compute_inception_score (guided-diffusion evaluations/evaluator.py): no shuffle, consecutive splits
    of `split_size` rows, log of the softmax probabilities, mean only.
Also writes RandomState(seed).permutation(n) and choice(n, m, replace=False) sequences that the C++
NumpyRandomState must reproduce.

Usage: inception_score_reference.py OUT.npz
"""
import sys

import numpy as np
from scipy.special import log_softmax, softmax


def torch_fidelity_isc(logits, splits=10, seed=2020):
    n = logits.shape[0]
    logits = logits[np.random.RandomState(seed).permutation(n)].astype(np.float64)
    p = softmax(logits, axis=1)
    log_p = log_softmax(logits, axis=1)
    scores = []
    for i in range(splits):
        lo, hi = i * n // splits, (i + 1) * n // splits
        p_chunk, log_p_chunk = p[lo:hi], log_p[lo:hi]
        q = p_chunk.mean(axis=0, keepdims=True)
        kl = (p_chunk * (log_p_chunk - np.log(q))).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return np.mean(scores), np.std(scores), np.array(scores)


def adm_isc(logits, split_size):
    preds = softmax(logits.astype(np.float64), axis=1)
    scores = []
    for i in range(0, len(preds), split_size):
        part = preds[i:i + split_size]
        kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
        kl = np.mean(np.sum(kl, 1))
        scores.append(np.exp(kl))
    return float(np.mean(scores)), np.array(scores)


rng = np.random.RandomState(7)
# Logits with structure: a few dominant classes per sample, so the score is far from 1 and from 1008.
logits = (rng.randn(1037, 1008) * 2.0).astype(np.float32)
logits[np.arange(1037), rng.randint(0, 50, size=1037)] += 9.0
out = {"logits": logits}
out["tf_mean"], out["tf_std"], out["tf_scores"] = torch_fidelity_isc(logits)
out["adm_mean"], out["adm_scores"] = adm_isc(logits, split_size=300)
for n in (1, 2, 10, 1000, 70000):
    out[f"perm_2020_{n}"] = np.random.RandomState(2020).permutation(n)
rs = np.random.RandomState(123)
out["choices_123"] = np.stack([np.concatenate([rs.choice(500, 40, replace=False), rs.choice(77, 40, replace=False)])
                               for _ in range(3)])
np.savez(sys.argv[1], **{k: np.asarray(v) for k, v in out.items()})
