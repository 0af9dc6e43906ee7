#!/usr/bin/python3
"""Python peer of tests/bench/fid_e2e_bench.cpp: FID of a folder of PNGs against reference statistics, the way
pytorch-fid runs it, with latentlab's input protocol.

  - a torch DataLoader over the sorted *.png (recursive), PIL decode to RGB uint8, `workers` processes (pytorch-fid's
    default is min(cores, 8); here the bench passes the thread count), batch `batch`, no shuffle;
  - TF 1.x bilinear resize to 299 (legacy: source = dst * in/out, no half-pixel offset, TF's lerp order) as torch
    gathers, then (x - 128) / 128: latentlab's default tf1-bilinear;
  - the FID Inception of tests/reference/models/inception_fid_reference.py (torchvision blocks with pytorch-fid's
    overrides) in eager mode with WEIGHTS, pool3 only, inference mode, `threads` intra-op threads;
  - float64 mean and np.cov, then pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm, 1e-6 retry).

Usage: fid_e2e_bench.py WEIGHTS.pth FOLDER REF.npz THREADS BATCH
Prints "fid: X", "images: N" and the phase times ("network_seconds", "stats_seconds", "sqrtm_seconds").
"""
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "reference", "models"), os.path.join(HERE, "..", "reference", "metrics")]
import inception_fid_reference as ref  # noqa: E402
from fid_pipeline_reference import frechet  # noqa: E402  pytorch-fid's calculate_frechet_distance

BLOCKS = ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a",
          "Mixed_7b", "Mixed_7c")


class PngFolder(Dataset):
    def __init__(self, folder):
        self.paths = sorted(os.path.join(d, f) for d, _, files in os.walk(folder) for f in files if f.endswith(".png"))

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return torch.from_numpy(np.asarray(Image.open(self.paths[i]).convert("RGB")).copy())  # H W 3 uint8


def tf1_resize(x, out_h, out_w):
    """TF 1.x ResizeBilinear (align_corners=False, legacy scaler) of (N, C, H, W) float32, as torch gathers."""

    def weights(in_size, out_size):
        scale = np.float32(in_size) / np.float32(out_size)
        source = torch.arange(out_size, dtype=torch.float32) * float(scale)
        lower = torch.floor(source)
        upper = torch.clamp(torch.ceil(source), max=in_size - 1)
        return lower.long(), upper.long(), source - lower

    y0, y1, y_lerp = weights(x.shape[2], out_h)
    x0, x1, x_lerp = weights(x.shape[3], out_w)
    top, bottom = x.index_select(2, y0), x.index_select(2, y1)
    top_left, top_right = top.index_select(3, x0), top.index_select(3, x1)
    bottom_left, bottom_right = bottom.index_select(3, x0), bottom.index_select(3, x1)
    top_row = top_left + (top_right - top_left) * x_lerp
    bottom_row = bottom_left + (bottom_right - bottom_left) * x_lerp
    return top_row + (bottom_row - top_row) * y_lerp[:, None]


def pool3(net, x):
    h = net.maxpool1(net.Conv2d_2b_3x3(net.Conv2d_2a_3x3(net.Conv2d_1a_3x3(x))))
    h = net.maxpool2(net.Conv2d_4a_3x3(net.Conv2d_3b_1x1(h)))
    for block in BLOCKS:
        h = getattr(net, block)(h)
    return torch.flatten(net.avgpool(h), 1)


def main():
    weights, folder, reference, threads, batch = sys.argv[1:6]
    threads, batch = int(threads), int(batch)
    torch.set_num_threads(threads)
    net = ref.fid_inception()
    net.load_state_dict(torch.load(weights))
    start = time.perf_counter()
    loader = DataLoader(PngFolder(folder), batch_size=batch, shuffle=False, num_workers=threads)
    features = []
    with torch.inference_mode():
        for images in loader:
            x = (tf1_resize(images.permute(0, 3, 1, 2).float(), 299, 299) - 128) / 128
            features.append(pool3(net, x).double().numpy())
    network = time.perf_counter()
    f = np.concatenate(features)
    mu, sigma = f.mean(axis=0), np.cov(f, rowvar=False)
    stats = time.perf_counter()
    with np.load(reference) as r:
        fid = frechet(mu, sigma, r["mu"], r["sigma"])
    done = time.perf_counter()
    print(f"fid: {fid:.17g}")
    print(f"images: {len(f)}")
    print(f"network_seconds: {network - start:.3f}")
    print(f"stats_seconds: {stats - network:.3f}")
    print(f"sqrtm_seconds: {done - stats:.3f}")


if __name__ == "__main__":
    main()
