"""k-NN manifold metrics, for tests/reference/metrics/precision_recall_reference_test.cpp:
  - precision/recall as the ADM evaluator computes them (guided-diffusion evaluations/evaluator.py,
    ManifoldEstimator + DistanceBlock): squared distances |u|^2 - 2 u.v + |v|^2 clamped at 0, radius =
    entry k of the partitioned distance row (self included, k = 3), membership `<=`; in float64 numpy
    instead of ADM's float16/float32 TensorFlow blocks;
  - precision/recall/density/coverage as prdc computes them (clovaai/generative-evaluation-prdc
    prdc/prdc.py): sklearn euclidean pairwise distances, k-th value by argpartition, strict `<`, k = 5.

Usage: precision_recall_reference.py OUT.npz
"""
import sys

import numpy as np
import sklearn.metrics


def adm_radii(features, k):
    sq = (features ** 2).sum(1)
    d = np.maximum(sq[:, None] - 2 * features @ features.T + sq[None, :], 0.0)
    seq = np.arange(k + 1)
    return np.partition(d, seq, axis=1)[:, k]


def adm_precision_recall(real, fake, k=3):
    r_real, r_fake = adm_radii(real, k), adm_radii(fake, k)
    sr, sf = (real ** 2).sum(1), (fake ** 2).sum(1)
    d = np.maximum(sr[:, None] - 2 * real @ fake.T + sf[None, :], 0.0)  # real x fake
    precision = (d <= r_real[:, None]).any(axis=0).mean()
    recall = (d <= r_fake[None, :]).any(axis=1).mean()
    return precision, recall


def get_kth_value(unsorted, k, axis=-1):
    indices = np.argpartition(unsorted, k, axis=axis)[..., :k]
    k_smallests = np.take_along_axis(unsorted, indices, axis=axis)
    return k_smallests.max(axis=axis)


def prdc(real, fake, k=5):
    real_nn = get_kth_value(sklearn.metrics.pairwise_distances(real, real), k + 1)
    fake_nn = get_kth_value(sklearn.metrics.pairwise_distances(fake, fake), k + 1)
    d = sklearn.metrics.pairwise_distances(real, fake)
    precision = (d < real_nn[:, None]).any(axis=0).mean()
    recall = (d < fake_nn[None, :]).any(axis=1).mean()
    density = (1.0 / k) * (d < real_nn[:, None]).sum(axis=0).mean()
    coverage = (d.min(axis=1) < real_nn).mean()
    return precision, recall, density, coverage


rng = np.random.RandomState(5)
real = rng.randn(700, 24)
fake = rng.randn(550, 24) * 0.8 + 0.25
out = {"real": real, "fake": fake}
out["adm_precision"], out["adm_recall"] = adm_precision_recall(real, fake)
out["prdc_precision"], out["prdc_recall"], out["prdc_density"], out["prdc_coverage"] = prdc(real, fake)
np.savez(sys.argv[1], **{k: np.asarray(v) for k, v in out.items()})
