#!/usr/bin/python3
"""Independent FID of two PNG folders (tests/integration/metrics_cli_test.cpp).

Usage: fid_pipeline_reference.py WEIGHTS.pth DIR_A DIR_B

Decodes every *.png (sorted, recursive) with torchvision.io (lossless; RGB), applies the TF 1.x bilinear resize
to 299 and (x - 128) / 128 written in tests/reference/models/inception_fid_reference.py, runs that script's
pytorch-fid network with WEIGHTS, and computes FID as pytorch-fid does: numpy mean, np.cov (N - 1), and
scipy.linalg.sqrtm of sigma1 @ sigma2 (1e-6 eps retry on non-finite), all in float64. Prints the FID (%.17g).
Only Debian's python3-torch, -torchvision, -numpy and -scipy; nothing from latentlab.
"""
import os
import sys

import numpy as np
import scipy.linalg
import torch
from torchvision.io import ImageReadMode, read_image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import inception_fid_reference as ref  # noqa: E402


def load_images(folder):
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(folder) for f in files if f.endswith(".png"))
    return np.stack([read_image(p, ImageReadMode.RGB).permute(1, 2, 0).numpy() for p in paths])  # N H W 3


def pool3(net, images):
    out = []
    with torch.no_grad():
        for i in range(0, len(images), 16):
            out.append(ref.features(net, ref.prepare(images[i : i + 16], "tf1"))["pool3"].double().numpy())
    return np.concatenate(out)


def frechet(mu1, s1, mu2, s2):
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def main():
    torch.set_num_threads(2)
    net = ref.fid_inception()
    net.load_state_dict(torch.load(sys.argv[1]))
    stats = []
    for folder in sys.argv[2:4]:
        f = pool3(net, load_images(folder))
        stats.append((f.mean(axis=0), np.cov(f, rowvar=False)))
    print("%.17g" % frechet(*stats[0], *stats[1]))


if __name__ == "__main__":
    main()
