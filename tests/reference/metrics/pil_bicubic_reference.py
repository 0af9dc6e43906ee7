#!/usr/bin/python3
"""Pillow's bicubic resize and dgm-eval's DINOv2 input on seeded uint8 images
(tests/reference/metrics/pil_bicubic_reference_test.cpp).

Usage: pil_bicubic_reference.py OUT.npz
Writes, per case k: images_k (N, H, W, 3) uint8, resized_k (N, 224, 224, 3) uint8 = PIL Image.resize((224, 224),
BICUBIC) of each image, and prepared_k (N, 3, 224, 224) float32 = dgm-eval's DINOv2 transform (torchvision
Resize((224, 224), BICUBIC) on the PIL image, ToTensor, Normalize(ImageNet mean, std)). Cases: upsampling
(37x53), downsampling with antialias (300x260), mixed (500x120) and the identity (224x224).
"""
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

CASES = [(2, 37, 53), (2, 300, 260), (1, 500, 120), (1, 224, 224)]


def main():
    rng = np.random.RandomState(5)
    transform = transforms.Compose([
        transforms.Resize((224, 224), interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    out = {}
    for k, (n, h, w) in enumerate(CASES):
        # Smooth content plus noise: both the overshoot of the kernel (clipping) and ordinary values occur.
        yy, xx = np.mgrid[0:h, 0:w]
        base = 127.5 + 127.5 * np.sin(xx / 5.0 + yy / 7.0)[None, :, :, None]
        images = np.clip(base + rng.randint(-60, 61, (n, h, w, 3)), 0, 255).astype(np.uint8)
        images[:, :3, :3] = rng.randint(0, 2, (n, 3, 3, 3)) * 255  # hard edges
        pils = [Image.fromarray(im) for im in images]
        out[f"images_{k}"] = images
        out[f"resized_{k}"] = np.stack([np.asarray(p.resize((224, 224), Image.BICUBIC)) for p in pils])
        out[f"prepared_{k}"] = torch.stack([transform(p) for p in pils]).numpy()
    np.savez(sys.argv[1], **out)


if __name__ == "__main__":
    main()
