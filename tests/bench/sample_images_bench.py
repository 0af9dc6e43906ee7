"""The peer of bench_sample_images: class-conditional image sampling end to end in PyTorch, with the
independent reference models of tests/reference/models (sit_reference.py, autoencoder_kl_reference.py) and
the Euler-Maruyama loop of sit_train_step_bench.py (REPA-E's, CFG 2.5 on [0, 0.75]).

  sample_images_bench.py SIT_WEIGHTS SIT_CONFIG_JSON VAE_WEIGHTS VAE_PRESET BATCH STEPS THREADS [DEVICE=cpu]
      writes the seeded SiT (sit_reference.randomise, seed 0) and VAE (autoencoder_kl_reference.randomise,
      seed 0) weights for the C++ side, then times one batch: noise and uniform labels, STEPS Euler-Maruyama
      steps, latents z = x * std + mean with LDM's normalisation (mean 0, std 1 / 0.18215), VAE decode, and
      quantisation to uint8 N x H x W x 3 as `latentlab sample` does (uint8(clamp(127.5 x + 128, 0, 255))).
      On CUDA one untimed SiT forward (CFG batch) and one decode come first; clocks wait for the device.
      Prints images/s on the last line.
"""
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference", "models"))
import sit_train_step_bench  # noqa: E402
from autoencoder_kl_reference import AutoencoderKL, randomise  # noqa: E402

LATENT_STD = 1 / 0.18215  # both sides decode z = x * LATENT_STD (mean 0)


def main():
    sit_weights, config = sys.argv[1], json.loads(sys.argv[2])
    vae_weights, vae_preset = sys.argv[3], sys.argv[4]
    batch, steps, threads = (int(a) for a in sys.argv[5:8])
    device = sys.argv[8] if len(sys.argv) > 8 else "cpu"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sit_train_step_bench.DEVICE = device
    sit = sit_train_step_bench.seeded_model(sit_weights, config).eval()
    vae = AutoencoderKL(vae_preset).eval()
    randomise(vae, 0)
    torch.save(vae.state_dict(), vae_weights)
    vae.to(device)
    c, s, null = config["in_channels"], config["input_size"], config["num_classes"]
    clock = sit_train_step_bench.clock

    def pipeline(g):
        x = torch.randn(batch, c, s, s, generator=g, dtype=torch.float64).to(device)
        y = torch.randint(0, null, (batch,), generator=g).to(device)
        latents = sit_train_step_bench.euler_maruyama_cfg(sit, x, y, null, steps, g)
        with torch.no_grad():
            images = vae.decode((latents * LATENT_STD).float())
        return (images * 127.5 + 128.0).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().cpu()

    if device != "cpu":
        with torch.no_grad():
            warm = torch.zeros(2 * batch, c, s, s, device=device)
            sit(warm, torch.ones(2 * batch, device=device), torch.zeros(2 * batch, dtype=torch.long, device=device))
            vae.decode(warm[:batch])
    start = clock()
    images = pipeline(torch.Generator().manual_seed(2))
    elapsed = clock() - start
    print(f"pytorch {torch.__version__} on {device}, {threads} threads, {tuple(images.shape)} uint8")
    print(batch / elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
