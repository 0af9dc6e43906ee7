"""Independent numpy / scipy / scikit-learn versions of the latent-space analyses of metrics/analysis/, for
tests/reference/metrics/analysis_reference_test.cpp. Inputs are drawn here (seeded) and saved with the
expected values:
  - linear CKA (plain and debiased) and CKNNA / mutual k-NN: a numpy port of minyoungg/platonic-rep
    `metrics.py` (hsic_biased, hsic_unbiased, cka, cknna(unbiased=True), mutual_knn) with dense Gram
    matrices, on L2-normalised rows;
  - channel moments: scipy.stats.skew / kurtosis (bias=True, fisher=True);
  - radial spectrum: numpy.fft with the binning of docs/analysis.md written out again;
  - KDE Gini: scipy.stats.gaussian_kde (Scott) at the points; PCA by sklearn.decomposition.PCA;
  - patch alignment: the same CKNNA / mutual k-NN per image on latents resized by a numpy bilinear matrix
    (align_corners=False) to the teacher's patch grid;
  - diagonal GMM: sklearn.mixture.GaussianMixture(covariance_type="diag") from a given start;
  - Pearson / Spearman: scipy.stats.pearsonr / spearmanr.

Usage: analysis_reference.py OUT.npz
"""
import sys

import numpy as np
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture


def hsic_biased(k, l):
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ l @ h) / (n - 1) ** 2


def hsic_unbiased(k, l):
    m = k.shape[0]
    kt = k.copy()
    np.fill_diagonal(kt, 0)
    lt = l.copy()
    np.fill_diagonal(lt, 0)
    value = (kt * lt.T).sum() + kt.sum() * lt.sum() / ((m - 1) * (m - 2)) - 2 * (kt @ lt).sum() / (m - 2)
    return value / (m * (m - 3))


def cka(a, b, unbiased):
    hsic = hsic_unbiased if unbiased else hsic_biased
    k, l = a @ a.T, b @ b.T
    return hsic(k, l) / np.sqrt(hsic(k, k) * hsic(l, l))


def topk_mask(gram, topk):
    hat = gram.copy()
    np.fill_diagonal(hat, -np.inf)
    index = np.argsort(-hat, axis=1, kind="stable")[:, :topk]
    mask = np.zeros_like(gram)
    np.put_along_axis(mask, index, 1.0, axis=1)
    return mask


def cknna(a, b, topk):
    k, l = a @ a.T, b @ b.T

    def similarity(x, y):
        mask = topk_mask(x, topk) * topk_mask(y, topk)
        return hsic_unbiased(mask * x, mask * y)

    return similarity(k, l) / (np.sqrt(similarity(k, k) * similarity(l, l)) + 1e-6)


def mutual_knn(a, b, topk):
    ma, mb = topk_mask(a @ a.T, topk), topk_mask(b @ b.T, topk)
    return ((ma * mb).sum(axis=1) / topk).mean()


def bilinear_weights(size_in, size_out):
    """(size_out, size_in) interpolation matrix of a bilinear resize, align_corners=False, no antialias."""
    m = np.zeros((size_out, size_in))
    for o in range(size_out):
        src = max((o + 0.5) * size_in / size_out - 0.5, 0.0)
        i0 = min(int(np.floor(src)), size_in - 1)
        i1 = min(i0 + 1, size_in - 1)
        m[o, i0] += 1.0 - (src - i0)
        m[o, i1] += src - i0
    return m


def patch_alignment(latents, tokens, grid, topk):
    """REPA-E style: latents resized to the patch grid, rows L2-normalised, CKNNA / mutual k-NN per image."""
    wh, ww = bilinear_weights(latents.shape[2], grid), bilinear_weights(latents.shape[3], grid)
    c_values, m_values = [], []
    for lat, tok in zip(latents, tokens):
        resized = np.einsum("oh,chw,pw->cop", wh, lat, ww).reshape(lat.shape[0], -1).T
        a = resized / np.linalg.norm(resized, axis=1, keepdims=True)
        b = tok / np.linalg.norm(tok, axis=1, keepdims=True)
        c_values.append(cknna(a, b, topk))
        m_values.append(mutual_knn(a, b, topk))
    return np.mean(c_values), np.mean(m_values)


def radial_spectrum(maps, bins):
    n, c, h, w = maps.shape
    x = maps - maps.mean(axis=(2, 3), keepdims=True)
    power = np.abs(np.fft.fft2(x)) ** 2
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    r = np.sqrt(fy ** 2 + fx ** 2) / 0.5
    inside = (r > 0) & (r <= 1 + 1e-12)
    b = np.clip(np.ceil(r * bins - 1e-9) - 1, 0, bins - 1).astype(int)
    fractions, high = [], []
    for m in power.reshape(-1, h, w):
        binned = np.array([m[inside & (b == i)].sum() for i in range(bins)])
        total = binned.sum()
        if total > 0:
            fractions.append(binned / total)
            high.append(m[inside & (r > 0.5)].sum() / total)
    return np.mean(fractions, axis=0), np.mean(high)


def gini(d):
    d = np.sort(d)
    n = len(d)
    return ((2 * np.arange(1, n + 1) - n - 1) * d).sum() / (n * d.sum())


def main(out):
    rng = np.random.RandomState(2024)
    # Alignment: 60 rows, latents 12-d, teacher 9-d partly a function of the latents.
    lat = rng.randn(60, 12)
    teacher = np.tanh(lat[:, :9] @ rng.randn(9, 9)) + 0.5 * rng.randn(60, 9)
    a = lat / np.linalg.norm(lat, axis=1, keepdims=True)
    b = teacher / np.linalg.norm(teacher, axis=1, keepdims=True)

    # Channel moments of skewed spatial latents (N, C, h, w).
    moments_input = rng.gamma(2.0, 1.0, size=(7, 3, 4, 5)) * np.array([1.0, 3.0, 0.5])[None, :, None, None]
    per_channel = moments_input.transpose(1, 0, 2, 3).reshape(3, -1)

    spectrum_input = rng.randn(3, 2, 8, 12) + np.linspace(0, 3, 12)[None, None, None, :]
    energy, high = radial_spectrum(spectrum_input, 6)

    kde_points = np.concatenate([rng.randn(250, 2) * [1.0, 0.3], rng.randn(50, 2) * 0.1 + [3.0, 1.0]])
    density = stats.gaussian_kde(kde_points.T)(kde_points.T)
    pixels = rng.randn(300, 4) @ rng.randn(4, 4)
    projected = PCA(n_components=2).fit_transform(pixels - pixels.mean(axis=0))
    pca_gini = gini(stats.gaussian_kde(projected.T)(projected.T))

    gmm_x = np.concatenate([rng.randn(150, 3) + [4, 0, 0], rng.randn(150, 3) * 0.5, rng.randn(100, 3) - [0, 3, 3]])
    start_rows = np.array([3, 170, 350])
    reg = 1e-6
    variances = gmm_x.var(axis=0) + reg
    gm = GaussianMixture(n_components=3, covariance_type="diag", tol=1e-3, reg_covar=reg, max_iter=100,
                         init_params="random", weights_init=np.full(3, 1 / 3), means_init=gmm_x[start_rows],
                         precisions_init=np.tile(1 / variances, (3, 1)), random_state=0).fit(gmm_x)

    # Patch alignment (drawn last, so the inputs above stay as they were): latent maps (3, 5, 6, 6) resized
    # to a 4 x 4 grid; teacher tokens (3, 16, 7).
    patch_latents = rng.randn(3, 5, 6, 6)
    patch_tokens = np.tanh(rng.randn(3, 16, 5) @ rng.randn(5, 7)) + 0.3 * rng.randn(3, 16, 7)
    for i in range(3):
        grid_rows = np.einsum("oh,chw,pw->cop", bilinear_weights(6, 4), patch_latents[i],
                              bilinear_weights(6, 4)).reshape(5, -1).T
        patch_tokens[i, :, :5] += 2.0 * grid_rows  # the teacher shares part of the latent's spatial structure
    patch_cknna, patch_mutual = patch_alignment(patch_latents, patch_tokens, 4, 3)

    x = np.array([0.3, 1.2, 1.2, 2.5, 4.0, 3.1])
    y = np.array([17.4, 11.4, 12.0, 8.9, 7.5, 7.6])

    np.savez(out,
             latents=lat, teacher=teacher,
             cka=cka(a, b, False), cka_debiased=cka(a, b, True),
             cknna=cknna(a, b, 5), mutual_knn=mutual_knn(a, b, 5),
             patch_latents=patch_latents, patch_tokens=patch_tokens, patch_cknna=patch_cknna,
             patch_mutual_knn=patch_mutual,
             moments_input=moments_input, mean=per_channel.mean(axis=1), std=per_channel.std(axis=1),
             skewness=stats.skew(per_channel, axis=1), kurtosis=stats.kurtosis(per_channel, axis=1),
             spectrum_input=spectrum_input, spectrum_energy=energy, spectrum_high=high,
             kde_points=kde_points, kde_density=density, kde_gini=gini(density),
             pca_pixels=pixels, pca_gini=pca_gini,
             gmm_x=gmm_x, gmm_start_rows=start_rows, gmm_score=gm.score(gmm_x), gmm_bic=gm.bic(gmm_x),
             gmm_iterations=gm.n_iter_, gmm_means=gm.means_, gmm_variances=gm.covariances_,
             corr_x=x, corr_y=y, pearson=stats.pearsonr(x, y)[0], spearman=stats.spearmanr(x, y)[0])


if __name__ == "__main__":
    main(sys.argv[1])
