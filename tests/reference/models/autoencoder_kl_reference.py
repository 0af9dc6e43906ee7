#!/usr/bin/python3
"""Independent reference for latentlab's AutoencoderKL (lib/models/autoencoder_kl*.cpp).

A minimal PyTorch AutoencoderKL written from the latent-diffusion description (Rombach et al. 2022;
CompVis/latent-diffusion ldm/modules/diffusionmodules/model.py, ldm/models/autoencoder.py; the layer list is
in ../shared/docs/PAPER.md §3): ResnetBlock = GroupNorm(32, eps 1e-6) -> swish -> 3x3 conv, twice, with a 1x1
`nin_shortcut` when the width changes; single-head attention with 1x1 q/k/v/proj_out written with bmm;
Downsample = pad (0,1,0,1) + 3x3 stride-2 conv; Upsample = nearest x2 + 3x3 conv; quant_conv / post_quant_conv
1x1; posterior logvar clamped to [-30, 20]. Module attribute names are LDM's, so state_dict() has LDM keys.
Uses only Debian's python3-torch and python3-numpy.

  autoencoder_kl_reference.py write DIR [--preset NAME] [--seed S]
      DIR/weights.pth   {"state_dict": {LDM keys..., loss.* discriminator stand-ins}, "epoch": 3,
                        "global_step": 1234}  (the nesting and loss.* keys of an LDM .ckpt)
      DIR/weights_e2e.pth {"model": {one SiT-like tensor}, "vae": {LDM keys}, "steps": 10}  (REPA-E layout)
      DIR/expected.npz  images (2x3x32x48, seeded, in [-1, 1]), mean, logvar, std, kl (per sample),
                        decoded = decode(mean)
  autoencoder_kl_reference.py counts [PRESET...]
      prints "<preset> <parameter count>" for the named presets (default: all)
"""
import argparse
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (ch, ch_mult, num_res_blocks, attn_resolutions, resolution, z_channels = embed_dim)
PRESETS = {
    "f8d4": (128, (1, 2, 4, 4), 2, (), 256, 4),
    "f16d16": (128, (1, 1, 2, 2, 4), 2, (16,), 256, 16),
    "f16d32": (128, (1, 1, 2, 2, 4), 2, (16,), 256, 32),
    "tiny-f4d4": (32, (1, 2, 2), 1, (16,), 32, 4),
    "small-f8d8": (64, (1, 1, 2, 2), 1, (8,), 64, 8),
}


def norm(c):
    return nn.GroupNorm(32, c, eps=1e-6, affine=True)


def swish(x):
    return x * torch.sigmoid(x)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x):
        h = self.conv1(swish(self.norm1(x)))
        h = self.conv2(swish(self.norm2(h)))
        if hasattr(self, "nin_shortcut"):
            x = self.nin_shortcut(x)
        return x + h


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = norm(c)
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        h = self.norm(x)
        q, k, v = self.q(h), self.k(h), self.v(h)
        b, c, hh, ww = q.shape
        q = q.reshape(b, c, hh * ww).permute(0, 2, 1)  # b, hw, c
        k = k.reshape(b, c, hh * ww)  # b, c, hw
        w = torch.softmax(torch.bmm(q, k) * (c ** -0.5), dim=2)  # b, hw(query), hw(key)
        v = v.reshape(b, c, hh * ww)
        out = torch.bmm(v, w.permute(0, 2, 1)).reshape(b, c, hh, ww)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1), mode="constant", value=0))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Mid(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block_1 = ResnetBlock(c, c)
        self.attn_1 = AttnBlock(c)
        self.block_2 = ResnetBlock(c, c)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Encoder(nn.Module):
    def __init__(self, ch, ch_mult, nrb, attn_res, resolution, z):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch, 3, 1, 1)
        self.down = nn.ModuleList()
        cin, res = ch, resolution
        for level, mult in enumerate(ch_mult):
            d = nn.Module()
            d.block, d.attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(nrb):
                d.block.append(ResnetBlock(cin, ch * mult))
                cin = ch * mult
                if res in attn_res:
                    d.attn.append(AttnBlock(cin))
            if level != len(ch_mult) - 1:
                d.downsample = Downsample(cin)
                res //= 2
            self.down.append(d)
        self.mid = Mid(cin)
        self.norm_out = norm(cin)
        self.conv_out = nn.Conv2d(cin, 2 * z, 3, 1, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for d in self.down:
            for i, block in enumerate(d.block):
                h = block(h)
                if len(d.attn):
                    h = d.attn[i](h)
            if hasattr(d, "downsample"):
                h = d.downsample(h)
        h = self.mid(h)
        return self.conv_out(swish(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch, ch_mult, nrb, attn_res, resolution, z):
        super().__init__()
        cin = ch * ch_mult[-1]
        res = resolution // 2 ** (len(ch_mult) - 1)
        self.conv_in = nn.Conv2d(z, cin, 3, 1, 1)
        self.mid = Mid(cin)
        ups = []
        for level in reversed(range(len(ch_mult))):
            u = nn.Module()
            u.block, u.attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(nrb + 1):
                u.block.append(ResnetBlock(cin, ch * ch_mult[level]))
                cin = ch * ch_mult[level]
                if res in attn_res:
                    u.attn.append(AttnBlock(cin))
            if level != 0:
                u.upsample = Upsample(cin)
                res *= 2
            ups.insert(0, u)
        self.up = nn.ModuleList(ups)  # indexed by level, run from the last
        self.norm_out = norm(cin)
        self.conv_out = nn.Conv2d(cin, 3, 3, 1, 1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for u in reversed(self.up):
            for i, block in enumerate(u.block):
                h = block(h)
                if len(u.attn):
                    h = u.attn[i](h)
            if hasattr(u, "upsample"):
                h = u.upsample(h)
        return self.conv_out(swish(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, preset):
        super().__init__()
        ch, ch_mult, nrb, attn_res, resolution, z = PRESETS[preset]
        self.encoder = Encoder(ch, ch_mult, nrb, attn_res, resolution, z)
        self.decoder = Decoder(ch, ch_mult, nrb, attn_res, resolution, z)
        self.quant_conv = nn.Conv2d(2 * z, 2 * z, 1)
        self.post_quant_conv = nn.Conv2d(z, z, 1)

    def encode(self, x):
        moments = self.quant_conv(self.encoder(x))
        mean, logvar = torch.chunk(moments, 2, dim=1)
        return mean, torch.clamp(logvar, -30.0, 20.0)

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))


def randomise(model, seed):
    """Seeded weights far from the default init, so that norms and biases matter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            noise = torch.randn(p.shape, generator=g)
            if p.dim() == 1 and "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * noise)
            elif p.dim() == 1:
                p.copy_(0.1 * noise)
            else:
                p.copy_(noise / fan_in ** 0.5)


def write(args):
    torch.manual_seed(args.seed)
    model = AutoencoderKL(args.preset).eval()
    randomise(model, args.seed)
    g = torch.Generator().manual_seed(args.seed + 1)
    images = torch.rand((2, 3, 32, 48), generator=g) * 2 - 1
    with torch.no_grad():
        mean, logvar = model.encode(images)
        std = torch.exp(0.5 * logvar)
        kl = 0.5 * (mean ** 2 + std ** 2 - 1.0 - logvar).sum(dim=(1, 2, 3))
        decoded = model.decode(mean)
    state = dict(model.state_dict())
    # What an LDM training checkpoint carries besides the autoencoder (skipped by the loader).
    state["loss.logvar"] = torch.zeros(())
    state["loss.discriminator.main.0.weight"] = torch.randn((64, 3, 4, 4), generator=g)
    torch.save({"state_dict": state, "epoch": 3, "global_step": 1234}, f"{args.dir}/weights.pth")
    # A REPA-E-style end-to-end checkpoint: the VAE under "vae" next to another network under "model".
    torch.save({"model": {"x_embedder.proj.weight": torch.zeros((8, 4, 2, 2))}, "vae": model.state_dict(),
                "steps": 10}, f"{args.dir}/weights_e2e.pth")
    arrays = {"images": images, "mean": mean, "logvar": logvar, "std": std, "kl": kl, "decoded": decoded}
    np.savez(f"{args.dir}/expected.npz", **{k: v.numpy().astype(np.float32) for k, v in arrays.items()})
    print(f"wrote {args.dir}/weights.pth and expected.npz ({sum(p.numel() for p in model.parameters())} parameters)")


def counts(args):
    # Shapes only: parameters on the meta device take neither memory nor initialisation time.
    conv_init, norm_init = nn.Conv2d.__init__, nn.GroupNorm.__init__
    nn.Conv2d.__init__ = lambda self, *a, **k: conv_init(self, *a, device="meta", **k)
    nn.GroupNorm.__init__ = lambda self, *a, **k: norm_init(self, *a, device="meta", **k)
    for name in args.presets or PRESETS:
        if name not in PRESETS:
            sys.exit(f"unknown preset {name} (known: {', '.join(PRESETS)})")
        print(name, sum(p.numel() for p in AutoencoderKL(name).parameters()))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--preset", default="tiny-f4d4", choices=sorted(PRESETS))
    w.add_argument("--seed", type=int, default=7)
    w.set_defaults(run=write)
    c = sub.add_parser("counts")
    c.add_argument("presets", nargs="*", help=f"any of {', '.join(PRESETS)}")
    c.set_defaults(run=counts)
    args = parser.parse_args()
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
