"""The peer of bench_autoencoder_kl: AutoencoderKL encode throughput in PyTorch, with the independent
reference model of tests/reference/models/autoencoder_kl_reference.py. Writes the seeded weights to WEIGHTS
(a .pth the C++ side then loads, so both time the same network), encodes ITERS batches of BATCH seeded
RES×RES images under no_grad after one warm-up batch on THREADS intra-op threads, and prints images/s of
the fastest batch (robust to other load on the machine) on the last line.

Usage: autoencoder_kl_bench.py WEIGHTS PRESET RES BATCH ITERS THREADS [DEVICE=cpu]
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "models"))
from autoencoder_kl_reference import AutoencoderKL, randomise  # noqa: E402


def main():
    weights, preset = sys.argv[1], sys.argv[2]
    res, batch, iters, threads = (int(a) for a in sys.argv[3:7])
    device = sys.argv[7] if len(sys.argv) > 7 else "cpu"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = AutoencoderKL(preset).eval()
    randomise(model, 0)
    torch.save(model.state_dict(), weights)
    g = torch.Generator().manual_seed(1)
    images = (torch.rand((batch, 3, res, res), generator=g) * 2 - 1).to(device)
    model.to(device)
    with torch.no_grad():
        model.encode(images)  # warm-up
        fastest = float("inf")
        for _ in range(iters):
            start = time.perf_counter()
            mean, logvar = model.encode(images)
            std = torch.exp(0.5 * logvar)  # what the C++ encode also returns
            std.view(-1)[0].item()  # waits for the device, as the C++ side does
            fastest = min(fastest, time.perf_counter() - start)
    print(f"pytorch {torch.__version__} on {device}, {threads} threads, {preset} {batch}x3x{res}x{res}")
    print(batch / fastest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
