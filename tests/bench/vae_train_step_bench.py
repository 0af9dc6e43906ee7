"""The peer of bench_vae_train_step: one VAE training step in PyTorch with the same model and loss as
latentlab's VaeTrainer in plain mode: AutoencoderKL (the independent reference model of
tests/reference/models/autoencoder_kl_reference.py) on [-1, 1] images, posterior sample, L1 (mean) + LPIPS-VGG
(the reference of tests/reference/models/lpips_reference.py, random weights) + 1e-6 KL + 0.1 * (-mean D(x_hat))
with taming's PatchGAN (ndf 64, 3 layers, BatchNorm, train mode), AdamW (lr 1e-4, clip 1.0) step of the VAE,
then the hinge discriminator loss and its AdamW step (clip 1.0). Times ITERS steps after one warm-up step on
THREADS intra-op threads and prints steps/s of the fastest step on the last line.

Usage: vae_train_step_bench.py PRESET RES BATCH ITERS THREADS [DEVICE=cpu]
"""
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference", "models"))
from autoencoder_kl_reference import AutoencoderKL  # noqa: E402
from lpips_reference import CHANNELS, lpips  # noqa: E402


def patchgan(ndf=64, n_layers=3):
    layers = [nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
    mult = 1
    for n in range(1, n_layers + 1):
        prev, mult = mult, min(2 ** n, 8)
        layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2 if n < n_layers else 1, 1, bias=False),
                   nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2)]
    layers.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
    return nn.Sequential(*layers)


def main():
    preset = sys.argv[1]
    res, batch, iters, threads = (int(a) for a in sys.argv[2:6])
    device = sys.argv[6] if len(sys.argv) > 6 else "cpu"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    vae = AutoencoderKL(preset).to(device).train()
    disc = patchgan().to(device).train()
    features = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["D"]).to(device).eval()
    for m in features:
        if isinstance(m, nn.ReLU):
            m.inplace = False
    for p in features.parameters():
        p.requires_grad_(False)
    heads = [torch.rand(1, c, 1, 1, device=device) for c in CHANNELS]
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-4, weight_decay=0)
    dopt = torch.optim.AdamW(disc.parameters(), lr=1e-4, weight_decay=0)
    g = torch.Generator().manual_seed(1)
    x = (torch.randint(0, 256, (batch, 3, res, res), generator=g).float() / 127.5 - 1).to(device)

    def step():
        mean, logvar = vae.encode(x)
        std = torch.exp(0.5 * logvar)
        z = mean + std * torch.randn(mean.shape, generator=g).to(device)
        rec = vae.decode(z)
        nll = (x - rec).abs().mean() + lpips(features, heads, x, rec)[0].mean()
        kl = 0.5 * torch.sum(mean ** 2 + std ** 2 - 1.0 - logvar, dim=[1, 2, 3]).mean()
        g_loss = -disc(rec).mean()
        total = nll + 1e-6 * kl + 0.1 * g_loss
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        d = 0.5 * (F.relu(1 - disc(x)).mean() + F.relu(1 + disc(rec.detach())).mean())
        dopt.zero_grad()
        d.backward()
        torch.nn.utils.clip_grad_norm_(disc.parameters(), 1.0)
        dopt.step()
        return d.item()  # waits for the device, as the C++ side's item() calls do

    # The reference's SHIFT/SCALE constants live on the CPU.
    if device != "cpu":
        import lpips_reference
        lpips_reference.SHIFT = lpips_reference.SHIFT.to(device)
        lpips_reference.SCALE = lpips_reference.SCALE.to(device)
    step()  # warm-up
    fastest = float("inf")
    for _ in range(iters):
        start = time.perf_counter()
        step()
        fastest = min(fastest, time.perf_counter() - start)
    print(f"pytorch {torch.__version__} on {device}, {threads} threads, {preset} {batch}x3x{res}x{res}")
    print(1.0 / fastest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
