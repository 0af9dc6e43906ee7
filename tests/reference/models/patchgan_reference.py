#!/usr/bin/python3
"""Independent reference for latentlab's PatchGAN discriminator and GAN losses (lib/models/patchgan*.cpp,
lib/models/gan_losses.cpp).

The taming-transformers NLayerDiscriminator written from its description (PAPER.md §4.2): 4x4 convs with
padding 1, widths ndf*min(2^n, 8), the first n_layers convs stride 2 except the last block (stride 1), no
conv bias before a BatchNorm2d (eps 1e-5, momentum 0.1), LeakyReLU 0.2, a final 1-channel conv; weights_init
N(0, 0.02) for convs and N(1, 0.02)/0 for BN. BatchNorm is written out by hand (batch statistics with the
biased variance in train mode, running statistics updated with the unbiased one). Uses only python3-torch
and numpy.

  patchgan_reference.py write DIR [--seed S] [--ndf N] [--layers L]
      DIR/vae.pth     {"state_dict": {encoder.conv_in.weight, loss.logvar, loss.discriminator.main.N.*},
                      "global_step": 7} (an LDM/VA-VAE autoencoder checkpoint's nesting)
      DIR/disc.pth    the bare discriminator state dict (main.N.*)
      DIR/expected.npz images (2x3x32x40 in [-1, 1]), fake (same shape), logits_eval, logits_train
                      (on images), running_mean_after / running_var_after (main.3 after that train forward),
                      hinge, vanilla, g_mean, g_nonsat (on the train-mode logits of images and fake)
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F


def build(ndf, n_layers, in_ch, gen):
    """Ordered list of ("conv", idx, stride, has_bias) / ("bn", idx) / ("act",) and its state dict."""
    sd = {}
    layers = []

    def conv(idx, cin, cout, stride, bias):
        sd[f"main.{idx}.weight"] = torch.randn(cout, cin, 4, 4, generator=gen) * 0.02
        if bias:
            bound = 1.0 / np.sqrt(cin * 16)
            sd[f"main.{idx}.bias"] = (torch.rand(cout, generator=gen) * 2 - 1) * bound
        layers.append(("conv", idx, stride, bias))

    def bn(idx, c):
        sd[f"main.{idx}.weight"] = 1.0 + torch.randn(c, generator=gen) * 0.02
        # A trained discriminator: non-trivial biases and running statistics.
        sd[f"main.{idx}.bias"] = torch.randn(c, generator=gen) * 0.1
        sd[f"main.{idx}.running_mean"] = torch.randn(c, generator=gen) * 0.1
        sd[f"main.{idx}.running_var"] = 0.5 + torch.rand(c, generator=gen)
        sd[f"main.{idx}.num_batches_tracked"] = torch.tensor(100, dtype=torch.int64)
        layers.append(("bn", idx))

    idx = 0
    conv(idx, in_ch, ndf, 2, True)
    idx += 2  # LeakyReLU at 1
    mult = 1
    for n in range(1, n_layers + 1):
        prev, mult = mult, min(2 ** n, 8)
        conv(idx, ndf * prev, ndf * mult, 2 if n < n_layers else 1, False)
        bn(idx + 1, ndf * mult)
        idx += 3
    conv(idx, ndf * mult, 1, 1, True)
    return layers, sd


def forward(layers, sd, x, train, momentum=0.1, eps=1e-5):
    stats = {}
    for i, layer in enumerate(layers):
        if layer[0] == "conv":
            _, idx, stride, bias = layer
            x = F.conv2d(x, sd[f"main.{idx}.weight"], sd.get(f"main.{idx}.bias"), stride=stride, padding=1)
        else:
            idx = layer[1]
            if train:
                mean = x.mean(dim=(0, 2, 3))
                var = x.var(dim=(0, 2, 3), unbiased=False)
                n = x.numel() / x.shape[1]
                stats[idx] = ((1 - momentum) * sd[f"main.{idx}.running_mean"] + momentum * mean,
                              (1 - momentum) * sd[f"main.{idx}.running_var"] + momentum * var * n / (n - 1))
            else:
                mean, var = sd[f"main.{idx}.running_mean"], sd[f"main.{idx}.running_var"]
            x = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + eps)
            x = x * sd[f"main.{idx}.weight"][None, :, None, None] + sd[f"main.{idx}.bias"][None, :, None, None]
        # Every conv but the last and every BN is followed by LeakyReLU, except a conv followed by its BN.
        last = i + 1 == len(layers)
        if not last and not (layer[0] == "conv" and layers[i + 1][0] == "bn"):
            x = torch.where(x >= 0, x, 0.2 * x)
    return x, stats


def write(args):
    gen = torch.Generator().manual_seed(args.seed)
    layers, sd = build(args.ndf, args.layers, 3, gen)
    images = torch.rand(2, 3, 32, 40, generator=gen) * 2 - 1
    fake = torch.rand(2, 3, 32, 40, generator=gen) * 2 - 1
    logits_eval, _ = forward(layers, sd, images, train=False)
    logits_train, stats = forward(layers, sd, images, train=True)
    logits_fake, _ = forward(layers, sd, fake, train=True)
    real, fk = logits_train.double(), logits_fake.double()
    out = {
        "images": images, "fake": fake, "logits_eval": logits_eval, "logits_train": logits_train,
        "running_mean_after": stats[3][0], "running_var_after": stats[3][1],
        "hinge": 0.5 * (torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fk, min=0).mean()),
        "vanilla": 0.5 * (torch.log1p(torch.exp(-real)).mean() + torch.log1p(torch.exp(fk)).mean()),
        "g_mean": -fk.mean(),
        "g_nonsat": torch.log1p(torch.exp(-fk)).mean(),
    }
    np.savez(f"{args.dir}/expected.npz", **{k: v.detach().numpy() for k, v in out.items()})
    vae = {"encoder.conv_in.weight": torch.randn(8, 3, 3, 3, generator=gen), "loss.logvar": torch.zeros(())}
    vae.update({"loss.discriminator." + k: v for k, v in sd.items()})
    torch.save({"state_dict": vae, "global_step": 7}, f"{args.dir}/vae.pth")
    torch.save(sd, f"{args.dir}/disc.pth")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--ndf", type=int, default=8)
    w.add_argument("--layers", type=int, default=3)
    args = parser.parse_args()
    write(args)


if __name__ == "__main__":
    main()
