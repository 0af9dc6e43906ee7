"""The peer of bench_image_pipeline: decode + ADM center crop of every image in a folder with PIL and
numpy, the loader guided-diffusion/DiT/REPA use (center_crop_arr), on `processes` worker processes.
Prints the wall time in seconds on the last line.

Usage: pil_loader_bench.py DIR SIZE PROCESSES
"""
import os
import sys
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image

SIZE = int(sys.argv[2])


def center_crop_arr(path):
    pil_image = Image.open(path)
    pil_image.load()
    pil_image = pil_image.convert("RGB")
    while min(*pil_image.size) >= 2 * SIZE:
        pil_image = pil_image.resize(tuple(x // 2 for x in pil_image.size), resample=Image.BOX)
    scale = SIZE / min(*pil_image.size)
    pil_image = pil_image.resize(tuple(round(x * scale) for x in pil_image.size), resample=Image.BICUBIC)
    arr = np.array(pil_image)
    y, x = (arr.shape[0] - SIZE) // 2, (arr.shape[1] - SIZE) // 2
    return int(arr[y:y + SIZE, x:x + SIZE].sum() % 251)


if __name__ == "__main__":
    folder = sys.argv[1]
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".jpg"))
    start = time.perf_counter()
    with Pool(int(sys.argv[3])) as pool:
        checksum = sum(pool.map(center_crop_arr, files, chunksize=32))
    print(f"{len(files)} images, checksum {checksum}")
    print(time.perf_counter() - start)
