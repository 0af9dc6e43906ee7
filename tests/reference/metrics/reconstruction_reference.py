#!/usr/bin/python3
"""Independent PSNR and SSIM reference for latentlab's metrics/reconstruction/{psnr,ssim}.cpp.

Written with numpy and scipy only, following skimage.metrics (which Debian's test image may lack):
  PSNR  per image 10 * log10(255^2 / MSE), MSE in float64 over all pixels and channels.
  SSIM  structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255,
        channel_axis) as skimage computes it: scipy.ndimage.gaussian_filter(sigma=1.5, truncate=3.5,
        mode="reflect") for the five moments (an 11-tap window), K1 0.01, K2 0.03, the SSIM map cropped by
        the window radius (5) on every side, mean per channel, mean over channels.

  reconstruction_reference.py OUT.npz [--seed S]
      originals, reconstructions  uint8 (4, 3, 24, 29): seeded images and noisy, blurred, shifted copies
                                  (not square, so a transposed window would show)
      psnr, ssim                  float64 (4) per image
"""
import argparse

import numpy as np
from scipy import ndimage


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / mse)


def ssim_channel(x, y, sigma=1.5, truncate=3.5, k1=0.01, k2=0.03, data_range=255.0):
    x, y = x.astype(np.float64), y.astype(np.float64)
    f = lambda im: ndimage.gaussian_filter(im, sigma=sigma, truncate=truncate, mode="reflect")  # noqa: E731
    ux, uy = f(x), f(y)
    vx, vy, vxy = f(x * x) - ux * ux, f(y * y) - uy * uy, f(x * y) - ux * uy
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    pad = int(truncate * sigma + 0.5)
    return s[pad:-pad, pad:-pad].mean()


def ssim(a, b):  # (3, H, W)
    return np.mean([ssim_channel(a[c], b[c]) for c in range(a.shape[0])])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    base = ndimage.gaussian_filter(rng.uniform(0, 255, (4, 3, 24, 29)), sigma=(0, 0, 2, 2)) * 3 - 250
    originals = np.clip(base, 0, 255).round().astype(np.uint8)
    noisy = originals + rng.normal(0, [[[[4]]], [[[10]]], [[[25]]], [[[60]]]], originals.shape)
    noisy = ndimage.gaussian_filter(noisy, sigma=(0, 0, 0.7, 0.7))
    noisy[3] = np.roll(noisy[3], 2, axis=2)
    reconstructions = np.clip(noisy, 0, 255).round().astype(np.uint8)
    np.savez(args.out, originals=originals, reconstructions=reconstructions,
             psnr=np.array([psnr(a, b) for a, b in zip(originals, reconstructions)]),
             ssim=np.array([ssim(a, b) for a, b in zip(originals, reconstructions)]))


if __name__ == "__main__":
    main()
