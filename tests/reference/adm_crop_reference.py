#!/usr/bin/env python3
"""Reference outputs for datasets/transforms/resize_crop, computed with Pillow (Debian python3-pil) and numpy.

Usage: adm_crop_reference.py MANIFEST
Each MANIFEST line is "MODE A B HEIGHT WIDTH INPUT OUTPUT"; INPUT holds HEIGHT*WIDTH*3 raw uint8 RGB bytes
(HWC) and OUTPUT receives the raw uint8 RGB result. Modes:
  adm                  guided-diffusion center_crop_arr with image_size A (B unused)
  tv-FILTER            torchvision Resize(A, FILTER) + CenterCrop(A) on a PIL image (B unused)
  resize-FILTER        PIL Image.resize((A, B), FILTER): A = width, B = height
FILTER is bicubic, bilinear or box. The algorithms are written here from their published descriptions, not
imported, so the check does not need guided-diffusion or torchvision installed.
"""
import sys

import numpy as np
from PIL import Image

RESAMPLING = getattr(Image, "Resampling", Image)  # Pillow >= 9.1 names them Image.Resampling.*
FILTERS = {"bicubic": RESAMPLING.BICUBIC, "bilinear": RESAMPLING.BILINEAR, "box": RESAMPLING.BOX}


def center_crop_arr(pil_image, image_size):
    # guided-diffusion: halve with BOX while the short side is at least twice the target, then BICUBIC so the
    # short side equals the target (sides rounded with Python's round), then crop the centre with floor offsets.
    while min(pil_image.size) >= 2 * image_size:
        pil_image = pil_image.resize(tuple(side // 2 for side in pil_image.size), resample=RESAMPLING.BOX)
    scale = image_size / min(pil_image.size)
    pil_image = pil_image.resize(tuple(round(side * scale) for side in pil_image.size), resample=RESAMPLING.BICUBIC)
    arr = np.array(pil_image)
    top = (arr.shape[0] - image_size) // 2
    left = (arr.shape[1] - image_size) // 2
    return arr[top:top + image_size, left:left + image_size]


def torchvision_resize_center_crop(pil_image, size, resample):
    # torchvision Resize(int): short side -> size, long side -> int(size * long / short);
    # CenterCrop: offsets int(round((side - size) / 2.0)).
    w, h = pil_image.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(size * long / short)
    new_w, new_h = (size, new_long) if w <= h else (new_long, size)
    arr = np.array(pil_image.resize((new_w, new_h), resample))
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    return arr[top:top + size, left:left + size]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: adm_crop_reference.py MANIFEST")
    with open(sys.argv[1]) as manifest:
        for line in manifest:
            if not line.strip():
                continue
            mode, a, b, height, width, source, target = line.split()
            a, b, height, width = int(a), int(b), int(height), int(width)
            pixels = np.fromfile(source, dtype=np.uint8)
            if pixels.size != height * width * 3:
                sys.exit(f"{source}: {pixels.size} bytes, expected {height}x{width}x3")
            image = Image.fromarray(pixels.reshape(height, width, 3), "RGB")
            if mode == "adm":
                out = center_crop_arr(image, a)
            elif mode.startswith("tv-"):
                out = torchvision_resize_center_crop(image, a, FILTERS[mode[3:]])
            elif mode.startswith("resize-"):
                out = np.array(image.resize((a, b), FILTERS[mode[7:]]))
            else:
                sys.exit(f"unknown mode {mode!r}")
            np.ascontiguousarray(out, dtype=np.uint8).tofile(target)


if __name__ == "__main__":
    main()
