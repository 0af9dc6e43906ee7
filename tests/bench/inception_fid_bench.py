#!/usr/bin/python3
"""Python peer of tests/bench/inception_fid_bench.cpp: the same FID Inception in PyTorch (the reference network
of tests/reference/models/inception_fid_reference.py: torchvision blocks with pytorch-fid's overrides) on the
same images and weights, with pytorch-fid's input path (x/255, F.interpolate bilinear, 2x - 1).

Usage: inception_fid_bench.py WEIGHTS.pth IMAGES.npy POOL3_OUT.npy THREADS BATCH [DEVICE=cpu]
(on CUDA: fp32 with TF32 off, as the C++ extractor runs FID)
Prints "images_per_second: X" (one warm-up batch of 2 images first, then every image timed once) and writes
the pool3 features so that the C++ side can check both computed the same thing.
"""
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "models"))
import inception_fid_reference as reference  # noqa: E402


def run(net, images, device):
    x = torch.from_numpy(images).to(device).permute(0, 3, 1, 2).contiguous().float() / 255
    x = 2 * F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False) - 1
    return reference.features(net, x)


def main():
    weights, images_path, pool3_path, threads, batch = sys.argv[1:6]
    torch.set_num_threads(int(threads))
    device = sys.argv[6] if len(sys.argv) > 6 else "cpu"
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    batch = int(batch)
    net = reference.fid_inception()
    # weights_only=False: a LibTorch-written file, which torch >= 2.6's default refuses.
    net.load_state_dict(torch.load(weights, weights_only=False))
    net.to(device)
    images = np.load(images_path)
    with torch.inference_mode():
        run(net, images[:2], device)["pool3"].cpu()
        start = time.perf_counter()
        pool3 = [run(net, images[i : i + batch], device)["pool3"].cpu() for i in range(0, len(images), batch)]
        seconds = time.perf_counter() - start
    np.save(pool3_path, torch.cat(pool3).numpy())
    print(f"images_per_second: {len(images) / seconds:.4f}")


if __name__ == "__main__":
    main()
