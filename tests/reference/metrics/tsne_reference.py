"""References for tests/reference/metrics/tsne_reference_test.cpp: scikit-learn 1.2's t-SNE
(sklearn.manifold.TSNE and its module functions) and LightningDiT's uniformity recipe, on inputs drawn here.

  - p_nn: _joint_probabilities_nn on the k = min(n - 1, 3 * 30 + 1) nearest neighbours of x (200, 8)
    (NearestNeighbors.kneighbors_graph, distances squared, as TSNE._fit does), dense; also its CSR arrays;
  - p_exact: _joint_probabilities on all squared distances (pairwise_distances(squared=True)), dense;
  - exact_kl, exact_grad: _kl_divergence at the embedding y (200, 2) with p_exact;
  - bh_kl, bh_grad (angle 0.5) and bh0_grad (angle 0): _kl_divergence_bh at y with p_nn;
  - tsne_x (240, 8) three separated clusters; tsne_kl, tsne_embedding: TSNE(perplexity=30, n_iter=1000,
    random_state=0) with the other defaults (init='pca', Barnes-Hut, angle 0.5, learning_rate='auto');
  - gini_pixels (4, 250, 8): four draws of normalised "pixel" vectors; gini_sklearn (4): LightningDiT
    tools/latent_vis.py per draw (TSNE(n_components=2, random_state=42, perplexity=30, n_iter=1000), then
    gaussian_kde(points.T)(points.T) and the Gini of the densities).

Usage: tsne_reference.py OUT.npz
"""
import sys
import warnings

import numpy as np
from scipy.spatial.distance import squareform
from scipy.stats import gaussian_kde
from sklearn.manifold import TSNE
from sklearn.manifold._t_sne import (_joint_probabilities, _joint_probabilities_nn, _kl_divergence,
                                     _kl_divergence_bh)
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import NearestNeighbors


def gini(density):
    d = np.sort(density)
    n = len(d)
    index = np.arange(1, n + 1)
    return np.sum((2 * index - n - 1) * d) / (n * np.sum(d))


def main(out):
    warnings.simplefilter("ignore", FutureWarning)
    rng = np.random.RandomState(0)
    n, perplexity = 200, 30.0
    x = rng.randn(n, 8) @ rng.randn(8, 8) + np.repeat(rng.randn(4, 8) * 3, n // 4, axis=0)

    k = min(n - 1, int(3.0 * perplexity + 1))
    graph = NearestNeighbors(n_neighbors=k).fit(x).kneighbors_graph(mode="distance")
    graph.data **= 2
    p_nn = _joint_probabilities_nn(graph, perplexity, 0)
    p_exact = squareform(_joint_probabilities(pairwise_distances(x, squared=True), perplexity, 0))

    # An embedding exactly representable in float32 (Barnes-Hut works in float32).
    y = (rng.randn(n, 2) * 3).astype(np.float32).astype(np.float64)
    exact_kl, exact_grad = _kl_divergence(y.ravel(), squareform(p_exact, checks=False), 1, n, 2)
    bh_kl, bh_grad = _kl_divergence_bh(y.ravel(), p_nn.copy(), 1, n, 2, angle=0.5)
    _, bh0_grad = _kl_divergence_bh(y.ravel(), p_nn.copy(), 1, n, 2, angle=0.0)

    tsne_x = np.concatenate([rng.randn(80, 8) + 12 * np.eye(8)[c] for c in range(3)])
    model = TSNE(perplexity=30, n_iter=1000, random_state=0)
    tsne_embedding = model.fit_transform(tsne_x)

    # Pixel-like vectors: a few correlated, anisotropic modes, normalised by the pooled mean/std.
    mixing = rng.randn(8, 8) * np.linspace(0.3, 2.0, 8)
    pool = np.concatenate([rng.randn(2000, 8) @ mixing + rng.randn(1, 8) * 2 for _ in range(3)])
    pool = (pool - pool.mean(axis=0)) / pool.std(axis=0)
    gini_pixels = np.stack([pool[rng.choice(len(pool), 250, replace=False)] for _ in range(4)])
    gini_sklearn = []
    for pixels in gini_pixels:
        points = TSNE(n_components=2, random_state=42, perplexity=30, n_iter=1000).fit_transform(pixels)
        gini_sklearn.append(gini(gaussian_kde(points.T)(points.T)))

    np.savez(out, x=x, p_nn=p_nn.toarray(), p_nn_indptr=p_nn.indptr.astype(np.int64),
             p_nn_indices=p_nn.indices.astype(np.int64), p_nn_data=p_nn.data, p_exact=p_exact, y=y,
             exact_kl=exact_kl, exact_grad=exact_grad.reshape(n, 2), bh_kl=bh_kl,
             bh_grad=bh_grad.reshape(n, 2).astype(np.float64), bh0_grad=bh0_grad.reshape(n, 2).astype(np.float64),
             tsne_x=tsne_x, tsne_kl=model.kl_divergence_, tsne_embedding=tsne_embedding.astype(np.float64),
             gini_pixels=gini_pixels, gini_sklearn=np.array(gini_sklearn))


if __name__ == "__main__":
    main(sys.argv[1])
